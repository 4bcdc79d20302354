import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { applyMigrations } from '../db/migrations.js';
import { createLogger } from '../log.js';

export async function migrate(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'migrate');
  const database = await openDatabase(config, log);
  try {
    const applied = await applyMigrations(database.url, log);
    process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied ${applied.join(', ')}\n`);
  } finally {
    await database.stop();
  }
}
