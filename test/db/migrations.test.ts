import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, diffMigrationsToSchema, migrationsDir, readSchema } from '../../src/db/migrations.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/tmp.js';

const committed = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('migrations', () => {
  it('agree with schema.prisma (run `npm run db:diff -- NAME` when this fails)', async () => {
    const sql = await diffMigrationsToSchema(inject('adminUrl'));
    expect(sql).toBe('');
  });

  it('a schema change the migrations lack is reported as SQL', async () => {
    const schema = readSchema();
    const changed = {
      ...schema,
      content: schema.content.replace('  dtype          String?\n', '  dtype          String?\n  quantization   String?\n'),
    };
    expect(changed.content).not.toBe(schema.content);
    const sql = await diffMigrationsToSchema(inject('adminUrl'), undefined, migrationsDir, changed);
    expect(sql).toMatch(/ALTER TABLE "Model" ADD COLUMN\s+"quantization" TEXT/);
  });

  describe('on an empty database', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase({ empty: true });
    });
    afterAll(() => db.drop());

    it('are applied once and recorded in _prisma_migrations under their folder names', async () => {
      expect(await applyMigrations(db.url)).toEqual(committed);
      const rows = await db.prisma.$queryRaw<Array<{ migration_name: string; finished_at: Date | null }>>`
        SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
      expect(rows.map((r) => r.migration_name)).toEqual(committed);
      expect(rows.every((r) => r.finished_at instanceof Date)).toBe(true);
      expect(await applyMigrations(db.url)).toEqual([]);
    });

    it('an up-to-date database skips the engine, but a new or edited migration still reaches it', async () => {
      const dir = tempDir('bonsai-migrations-');
      cpSync(migrationsDir, dir, { recursive: true });
      const added = '29991231000000_probe';
      mkdirSync(join(dir, added));
      writeFileSync(join(dir, added, 'migration.sql'), 'CREATE TABLE "probe" ("id" INTEGER);\n');
      expect(await applyMigrations(db.url, undefined, dir)).toEqual([added]);
      expect(await db.prisma.$queryRawUnsafe('SELECT count(*)::int AS n FROM "probe"')).toEqual([{ n: 0 }]);
      expect(await applyMigrations(db.url, undefined, dir)).toEqual([]);
      // An applied migration edited afterwards: the checksum differs, so the engine decides (it
      // applies nothing and the data stays), not the shortcut.
      writeFileSync(join(dir, added, 'migration.sql'), 'CREATE TABLE "probe" ("id" BIGINT);\n');
      await expect(applyMigrations(db.url, undefined, dir)).resolves.toEqual([]);
    });
  });
});

describe('data model constraints', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('refuses a model that is its own parent', async () => {
    const m = await db.prisma.model.create({ data: { owner: 'acme', name: 'base', kind: 'BASE' } });
    await expect(
      db.prisma.lineageEdge.create({ data: { parentId: m.id, childId: m.id, relation: 'WIDTH_PRUNED', recipe: {} } }),
    ).rejects.toThrow(/LineageEdge_no_self_edge/);
  });

  it('keeps owner/name unique and stores parameter counts beyond 2^53 exactly', async () => {
    const big = 2n ** 60n + 7n;
    await db.prisma.model.create({ data: { owner: 'acme', name: 'huge', kind: 'BASE', parameterCount: big } });
    const read = await db.prisma.model.findUniqueOrThrow({ where: { owner_name: { owner: 'acme', name: 'huge' } } });
    expect(read.parameterCount).toBe(big);
    await expect(db.prisma.model.create({ data: { owner: 'acme', name: 'huge', kind: 'BASE' } })).rejects.toMatchObject({
      code: 'P2002',
    });
  });

  it('allows several parents for a merge, each once', async () => {
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'merged'].map((name) =>
        db.prisma.model.create({ data: { owner: 'merge', name, kind: name === 'merged' ? 'DERIVED' : 'BASE' } }),
      ),
    );
    await db.prisma.lineageEdge.createMany({
      data: [
        { parentId: a!.id, childId: c!.id, relation: 'MERGED', recipe: { weight: 0.5 }, position: 0 },
        { parentId: b!.id, childId: c!.id, relation: 'MERGED', recipe: { weight: 0.5 }, position: 1 },
      ],
    });
    const parents = await db.prisma.lineageEdge.findMany({ where: { childId: c!.id }, orderBy: { position: 'asc' } });
    expect(parents.map((p) => p.parentId)).toEqual([a!.id, b!.id]);
    await expect(
      db.prisma.lineageEdge.create({ data: { parentId: a!.id, childId: c!.id, relation: 'MERGED', recipe: {} } }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });

  it('keeps job progress within 0..1', async () => {
    await expect(db.prisma.job.create({ data: { kind: 'PRUNE', payload: {}, progress: 1.5 } })).rejects.toThrow(/Job_progress_range/);
  });
});
