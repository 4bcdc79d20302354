// Benchmark of a job process's fixed cost (issue 28: the test suite starts ~150 of them): the CPU
// seconds (user + system, from /usr/bin/time) of `node <job bundle> JOB_ID` for a job that fails
// at once on its payload, so the process does everything but a task's work: loads the bundle,
// opens the registry (Prisma, the store), starts and stops the heartbeat thread, reads the job and
// records its failure. Each run is a fresh process, as the runner starts them; runs of the bundle
// and of the tsx entry are interleaved. The registry is a scratch database on DATABASE_URL's
// server (or TEST_DATABASE_URL's).
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node --import tsx bench/job-start.ts
// BENCH_RUNS=N (default 7); BENCH_TSX=0 leaves out the tsx entry; BENCH_ENTRIES=name=path,… adds others.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPrismaClient } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrations.js';
import { createLogger } from '../src/log.js';
import { jobEntry, TSX_ENTRY } from '../workers/bundle.js';
import { EXIT } from '../workers/failures.js';
import { JOB_NODE_FLAGS } from '../workers/runner.js';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const server = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!server)
  throw new Error('bench/job-start.ts needs DATABASE_URL (or TEST_DATABASE_URL): a Postgres server to make a scratch database on');
const log = createLogger('warn', 'bench:job-start');

const adminUrl = new URL(server);
adminUrl.pathname = '/postgres';
const admin = new pg.Client({ connectionString: adminUrl.toString() });
await admin.connect();
const dbName = `bonsai_bench_job_start_${process.pid}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(server);
url.pathname = `/${dbName}`;
const home = mkdtempSync(join(tmpdir(), 'bonsai-bench-job-start-'));
const prisma = createPrismaClient(url.toString(), { poolSize: 1 });

/** CPU seconds (user, system) of one job process, and its wall seconds; fails loudly unless it exited as a bad payload does. */
async function run(args: readonly string[]): Promise<{ user: number; sys: number; wall: number }> {
  // An EVALUATE job whose payload has no request: BAD_USER_INPUT, a permanent failure, after the full start.
  const job = await prisma.job.create({ data: { kind: 'EVALUATE', status: 'RUNNING', payload: {}, heartbeatAt: new Date() } });
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, ...args, job.id], {
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      BONSAI_HOME: home,
      BONSAI_ARTIFACTS_DIR: join(home, 'artifacts'),
      LOG_LEVEL: 'warn',
    },
    encoding: 'utf8',
  });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== EXIT.permanent) throw new Error(`job process exited ${r.status}, not ${EXIT.permanent}:\n${r.stderr}`);
  const row = await prisma.job.findUniqueOrThrow({ where: { id: job.id }, select: { error: true } });
  if (!row.error?.includes('payload is not valid')) throw new Error(`the job's error is not its payload's: ${JSON.stringify(row.error)}`);
  const m = /CPU (\S+) (\S+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no CPU times in:\n${r.stderr}`);
  return { user: Number(m[1]), sys: Number(m[2]), wall };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  await applyMigrations(url.toString(), log);
  // Started as the runner starts them: its node flags, then the script.
  const entries: Array<[string, string[]]> = [['bundle', [...JOB_NODE_FLAGS, await jobEntry(log)]]];
  if (process.env.BENCH_TSX !== '0') entries.push(['tsx', [...JOB_NODE_FLAGS, TSX_ENTRY]]);
  // Others to compare, interleaved with these: BENCH_ENTRIES='name=ARGS,name=ARGS', each ARGS the
  // node arguments before the job id, space-separated (an earlier bundle kept aside, other flags).
  for (const e of (process.env.BENCH_ENTRIES ?? '').split(',').filter(Boolean)) {
    const at = e.indexOf('=');
    entries.push([
      e.slice(0, at),
      e
        .slice(at + 1)
        .split(' ')
        .filter(Boolean),
    ]);
  }
  // One run each first: the page cache, tsx's transform cache.
  for (const [, args] of entries) await run(args);
  const times = new Map(entries.map(([name]) => [name, [] as Array<{ user: number; sys: number; wall: number }>]));
  for (let i = 0; i < runs; i++) for (const [name, args] of entries) times.get(name)!.push(await run(args));
  process.stdout.write(
    `bench:job-start — ${runs} runs each, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n\n| entry | CPU-s median (user+sys) | user | sys | wall median |\n|---|---|---|---|---|\n`,
  );
  for (const [name, ts] of times) {
    const cpu = ts.map((t) => t.user + t.sys);
    process.stdout.write(
      `| ${name} | ${median(cpu).toFixed(2)} | ${median(ts.map((t) => t.user)).toFixed(2)} | ${median(ts.map((t) => t.sys)).toFixed(2)} | ${median(ts.map((t) => t.wall)).toFixed(2)} s |\n`,
    );
  }
  for (const [name, ts] of times)
    process.stdout.write(`\n${name}, all runs (CPU-s): ${ts.map((t) => (t.user + t.sys).toFixed(2)).join(' ')}`);
  process.stdout.write('\n');
} finally {
  await prisma.$disconnect();
  await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(home, { recursive: true, force: true });
}
