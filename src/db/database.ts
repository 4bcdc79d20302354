import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { joinEmbeddedPostgres, type RunningDatabase, startEmbeddedPostgres } from './embedded.js';

export type { RunningDatabase } from './embedded.js';

/**
 * The server named by DATABASE_URL, or else the embedded one under BONSAI_HOME. With `join`, a
 * cluster that another Bonsai process already runs from BONSAI_HOME is used as it is.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'home'>,
  log: Logger,
  options: { join?: boolean } = {},
): Promise<RunningDatabase> {
  if (config.databaseUrl) {
    const admin = new URL(config.databaseUrl);
    admin.pathname = '/postgres';
    return { url: config.databaseUrl, adminUrl: admin.toString(), embedded: false, stop: async () => {} };
  }
  if (options.join) {
    const running = await joinEmbeddedPostgres(config.home);
    if (running) {
      log.info('using the embedded Postgres of the Bonsai server running from this BONSAI_HOME');
      return running;
    }
  }
  return startEmbeddedPostgres(config.home, log);
}
