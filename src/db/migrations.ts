// Migrations live in prisma/migrations/<timestamp>_<name>/migration.sql, exactly as `prisma
// migrate` lays them out, and are recorded in `_prisma_migrations`, so `prisma migrate deploy`
// run elsewhere sees the same history.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import type { Logger } from '../log.js';
import { noFilters, openSchemaEngine, type SchemaFile } from './schemaEngine.js';

export const prismaDir = resolve(fileURLToPath(new URL('../../prisma', import.meta.url)));
export const migrationsDir = join(prismaDir, 'migrations');

export function readSchema(dir = prismaDir): SchemaFile {
  const path = join(dir, 'schema.prisma');
  return { path, content: readFileSync(path, 'utf8') };
}

export function readMigrationList(dir = migrationsDir): MigrationList {
  const lockPath = join(dir, 'migration_lock.toml');
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql')))
        .map((e) => e.name)
        .sort()
    : [];
  return {
    baseDir: dir,
    lockfile: { path: lockPath, content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: names.map((name) => ({
      // The engine records `path` as the migration's name in _prisma_migrations, as the CLI does.
      path: name,
      migrationFile: {
        path: join(name, 'migration.sql'),
        content: { tag: 'ok', value: readFileSync(join(dir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

/**
 * Whether `_prisma_migrations` already records every migration of `list` as applied, unchanged
 * (the engine's checksum is the sha256 of migration.sql) and none half-applied or unknown here.
 * Then there is nothing for the engine to do, and its WebAssembly (5 MB, compiled on every start)
 * is not loaded: that was most of a CLI command's start-up against an up-to-date registry. Any
 * doubt (no table yet, a failed or edited migration, a newer database) leaves it to the engine,
 * which reports those cases as it always did.
 */
async function upToDate(url: string, list: MigrationList): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string; checksum: string; done: boolean }>(
      `SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS done
         FROM _prisma_migrations WHERE rolled_back_at IS NULL`,
    );
    const applied = new Map(rows.map((r) => [r.name, r]));
    if (rows.some((r) => !r.done) || applied.size !== list.migrationDirectories.length) return false;
    return list.migrationDirectories.every((m) => {
      const row = applied.get(m.path);
      const content = m.migrationFile.content;
      return row !== undefined && content.tag === 'ok' && row.checksum === createHash('sha256').update(content.value).digest('hex');
    });
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Applies the pending migrations; returns the names of those applied now. */
export async function applyMigrations(url: string, log?: Logger, dir = migrationsDir): Promise<string[]> {
  const list = readMigrationList(dir);
  if (await upToDate(url, list)) return [];
  const { engine, close } = await openSchemaEngine(url, readSchema(), log);
  try {
    const out = await engine.applyMigrations({ migrationsList: list, filters: noFilters });
    for (const name of out.appliedMigrationNames) log?.info(`applied migration ${name}`);
    return out.appliedMigrationNames;
  } finally {
    await close();
  }
}

/**
 * The SQL that would take a database built by the migrations to the state `schema.prisma`
 * describes; empty when they agree. Replays the migrations on a throw-away shadow database
 * created through `url`'s server.
 */
export async function diffMigrationsToSchema(url: string, log?: Logger, dir = migrationsDir, schema = readSchema()): Promise<string> {
  const { engine, close } = await openSchemaEngine(url, schema, log);
  try {
    const result = await engine.diff({
      from: { tag: 'migrations', ...readMigrationList(dir) },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    const sql = result.stdout ?? '';
    return /^\s*(--.*\s*)*$/.test(sql) && !/\b(CREATE|ALTER|DROP)\b/i.test(sql) ? '' : sql;
  } finally {
    await close();
  }
}
