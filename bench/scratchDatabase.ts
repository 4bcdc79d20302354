// A benchmark's own database: an embedded cluster in a temp home (or DATABASE_URL's server, as
// openDatabase decides), a fresh migrated database on it, and one call to drop it all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type RunningDatabase } from '../src/db/database.js';
import { applyMigrations } from '../src/db/migrations.js';
import type { Logger } from '../src/log.js';

export interface ScratchDatabase {
  home: string;
  cluster: RunningDatabase;
  url: string;
  drop(): Promise<void>;
}

export async function scratchDatabase(name: string, log: Logger): Promise<ScratchDatabase> {
  const home = mkdtempSync(join(tmpdir(), `bonsai-bench-${name}-`));
  const cluster = await openDatabase({ databaseUrl: undefined, home }, log);
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  const dbName = `bonsai_bench_${name}_${process.pid}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(cluster.url);
  url.pathname = `/${dbName}`;
  await applyMigrations(url.toString(), log);
  return {
    home,
    cluster,
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
      await admin.end();
      await cluster.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
