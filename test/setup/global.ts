// One Postgres for the whole run (TEST_DATABASE_URL, or an embedded one in a temp folder) and one
// migrated template database; each test file clones its own database from the template
// (graphile-worker's setup_template_db), so files run in parallel without sharing rows. Also the
// run's fixture cache (test/fixtures/cache.ts): generated checkpoints built once per run. All of it,
// and every file's scratch folder (test/setup/scratch.ts), in one folder that the run removes.
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { bundledEntry } from '../../src/bundle.mjs';
import { NON_DURABLE, type RunningDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrations.js';
import { createLogger } from '../../src/log.js';
import { buildWeb } from '../../web/build.js';
import { jobBundle } from '../../workers/bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
    fixtureCache: string;
    /** The run's folder: each file's scratch folder is made in it (test/setup/scratch.ts). */
    runTmp: string;
    /** Why web/dist could not be built for this run (web/build.ts); null when it was. */
    webBuildProblem: string | null;
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Free bytes a memory-backed folder must have to hold a run: /dev/shm held 2.9 GB at most during a
 * run with three workers (2026-12-06, sampled each second), Chromium's and Postgres's shared memory
 * included; twice that, so a run never fills it.
 */
const SHM_NEEDED = 6 * 1024 ** 3;

/**
 * Where the run's folder goes: BONSAI_TEST_TMPDIR when set; else /dev/shm when it is a tmpfs
 * with room for a run that may run programs (Docker and hardened hosts mount it `noexec`, and a
 * test puts a script on PATH from its scratch folder), since the run writes and removes gigabytes
 * of checkpoints, copies and databases that never need to reach a disk; else the system's temp folder.
 */
function runBase(): string {
  if (process.env.BONSAI_TEST_TMPDIR) return resolve(process.env.BONSAI_TEST_TMPDIR);
  const shm = '/dev/shm';
  try {
    const fs = statfsSync(shm);
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= SHM_NEEDED && canExecuteIn(shm)) return shm;
  } catch {
    // No /dev/shm (macOS, some containers).
  }
  return tmpdir();
}

/** statfs(2)'s f_type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

/** Whether a program in `dir` may run: access(2) answers EACCES for X_OK on a `noexec` mount. */
function canExecuteIn(dir: string): boolean {
  const probe = join(dir, `.bonsai-exec-probe-${process.pid}`);
  try {
    writeFileSync(probe, '#!/bin/sh\n', { mode: 0o755 });
    accessSync(probe, constants.X_OK);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

export default async function setup(project: TestProject) {
  const log = createLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn', 'test');
  const runTmp = mkdtempSync(join(runBase(), 'bonsai-test-run-'));
  // Traverse-only for others: the embedded Postgres runs as `postgres` when we are root.
  chmodSync(runTmp, 0o711);
  // Inherited by the test workers, which start after this setup.
  const outerTmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  let embedded: RunningDatabase | undefined;
  let adminUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = withDatabase(process.env.TEST_DATABASE_URL, 'postgres');
  } else {
    // The run's cluster is removed when the run ends: nothing in it needs to survive a power cut.
    // Connections for the run's workers (vitest.config.ts: one per core and one more), each file's
    // servers, queue and job processes holding a dozen or more at once: Postgres's default of 100
    // would refuse some from about eight cores up.
    const connections = Math.max(100, 25 * (project.config.maxWorkers + 1));
    embedded = await startEmbeddedPostgres(mkdtempSync(join(tmpdir(), 'pg-')), log, {
      settings: [...NON_DURABLE, `max_connections=${connections}`],
    });
    adminUrl = embedded.adminUrl;
  }
  const template = `bonsai_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await applyMigrations(withDatabase(adminUrl, template), log);
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', template);
  // The bundles the CLI, job processes, tokenizer checks and worker threads start from
  // (src/bundle.mjs), built here once rather than by whichever test starts one first (on a clean
  // clone), inside its time limit and perhaps by two files at once. Where none can be built they
  // run through tsx, as with BONSAI_BUNDLE=0.
  // The catalog's web/dist beside them, for the browser tests, when its sources changed. A failed
  // build fails those tests (webBuildProblem), not the run: the other files do not load the catalog.
  const [webBuildProblem] = await Promise.all([
    buildWeb(),
    // As src/cli/bonsai.mjs builds it (its packages inlined).
    bundledEntry('src/cli/main.ts', 'cli', { inline: true }).catch(() => undefined),
    ...[
      ['src/formats/checkpoint/tokenizerCheckMain.ts', 'tokenizer-check'],
      ['src/pruning/hashWorkerMain.ts', 'thread-hashWorkerMain'],
    ].map(([entry, name]) => bundledEntry(entry!, name!).catch(() => undefined)),
    // As the runner builds it (workers/bundle.ts: its packages inlined).
    jobBundle().catch(() => undefined),
  ]);
  project.provide('webBuildProblem', webBuildProblem ?? null);
  const fixtureCache = mkdtempSync(join(tmpdir(), 'fixtures-'));
  project.provide('fixtureCache', fixtureCache);
  project.provide('runTmp', runTmp);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await c.end();
    await embedded?.stop();
    rmSync(runTmp, { recursive: true, force: true });
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
  };
}
