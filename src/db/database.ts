import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { type RunningDatabase, startEmbeddedPostgres } from './embedded.js';

export type { RunningDatabase } from './embedded.js';

/** The server named by DATABASE_URL, or else the embedded one under BONSAI_HOME. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'home'>, log: Logger): Promise<RunningDatabase> {
  if (config.databaseUrl) {
    const admin = new URL(config.databaseUrl);
    admin.pathname = '/postgres';
    return { url: config.databaseUrl, adminUrl: admin.toString(), embedded: false, stop: async () => {} };
  }
  return startEmbeddedPostgres(config.home, log);
}
