// Migrations live in prisma/migrations/<timestamp>_<name>/migration.sql, exactly as `prisma
// migrate` lays them out, and are recorded in `_prisma_migrations`, so `prisma migrate deploy`
// run elsewhere sees the same history.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
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

/** Applies the pending migrations; returns the names of those applied now. */
export async function applyMigrations(url: string, log?: Logger, dir = migrationsDir): Promise<string[]> {
  const { engine, close } = await openSchemaEngine(url, readSchema(), log);
  try {
    const out = await engine.applyMigrations({ migrationsList: readMigrationList(dir), filters: noFilters });
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
