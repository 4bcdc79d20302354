// A job's heartbeat must not depend on its main thread: onnxruntime-node runs a session
// synchronously, and a large model's run outlasts BONSAI_JOB_STALE_SECONDS. A real job process
// stand-in beating every second (the interval of the smallest threshold, 5 s) blocks its main
// thread for 5 s; the heartbeat in Postgres keeps moving meanwhile.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MIN_JOB_STALE_SECONDS } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { jobReporter } from '../../workers/job.js';
import { HEARTBEAT_MS, HeartbeatThread, heartbeatInterval } from '../../workers/progress.js';
import { repoRoot } from '../helpers/bonsai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/waitFor.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it('beats five times or more per stale threshold, and every 3 s at most at the default of 30 s and above', () => {
  for (let stale = MIN_JOB_STALE_SECONDS; stale <= 600; stale++) {
    const every = heartbeatInterval(stale);
    expect(5 * every, `${stale} s`).toBeLessThanOrEqual(stale * 1000);
    expect(every).toBeLessThanOrEqual(HEARTBEAT_MS);
    if (stale >= 15) expect(every).toBe(HEARTBEAT_MS);
  }
  // The smallest threshold the configuration takes: a beat a second.
  expect(MIN_JOB_STALE_SECONDS).toBe(5);
  expect(heartbeatInterval(MIN_JOB_STALE_SECONDS)).toBe(1000);
});

it('a job process’s reporter beats at the interval of the threshold its runner gave it', async () => {
  const log = createLogger('error', 'test');
  for (const [jobStaleSeconds, everyMs] of [
    [5, 1000],
    [6, 1200],
    [30, 3000],
  ] as const) {
    const reporter = jobReporter({ prisma: db.prisma }, randomUUID(), log, null, jobStaleSeconds);
    expect(reporter.everyMs, `${jobStaleSeconds} s`).toBe(everyMs);
    await reporter.close();
  }
});

it('goes on while the job’s main thread is blocked', async () => {
  const every = heartbeatInterval(MIN_JOB_STALE_SECONDS);
  const job = await db.prisma.job.create({ data: { kind: 'EVALUATE', status: 'RUNNING', payload: {}, heartbeatAt: new Date(0) } });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test', 'workers', 'fixtures', 'blockingJob.ts'), db.url, job.id, '5000', String(every)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c;
  });
  const exited = new Promise((r) => child.on('exit', r));
  while (!out.includes('blocking')) await new Promise((r) => setTimeout(r, 50));
  const blockedAt = Date.now();
  const seen: number[] = [];
  while (!out.includes('done')) {
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id }, select: { heartbeatAt: true } });
    seen.push(row.heartbeatAt!.getTime());
    await new Promise((r) => setTimeout(r, 250));
  }
  await exited;
  // While blocked (5 s), a beat every second: three or more distinct ones seen from 0.5 s after the
  // block began to the last poll before it ended (a window of about 4 s).
  const during = new Set(seen.filter((t) => t > blockedAt + 500));
  expect(during.size).toBeGreaterThanOrEqual(3);
  const gaps = [...during]
    .sort((a, b) => a - b)
    .map((t, i, a) => (i ? t - a[i - 1]! : 0))
    .slice(1);
  // No beat missed: a gap stays under 2.5 intervals (a missed beat makes it 2), the half for a poll
  // or a query delayed by a loaded machine.
  for (const g of gaps) expect(g).toBeLessThan(every + 1500);
}, 60_000);

it('one heartbeat thread serves a process’s jobs one after another: it beats for the job named, and for none after a pause', async () => {
  const row = () => db.prisma.job.create({ data: { kind: 'EVALUATE', status: 'RUNNING', payload: {}, heartbeatAt: new Date(0) } });
  const [a, b] = [await row(), await row()];
  const beatOf = async (id: string) =>
    (await db.prisma.job.findUniqueOrThrow({ where: { id }, select: { heartbeatAt: true } })).heartbeatAt!.getTime();
  const thread = new HeartbeatThread(db.url, createLogger('error', 'test'));
  try {
    thread.beatFor(a.id, 200);
    await waitFor('a beat for the first job', async () => ((await beatOf(a.id)) > 0 ? true : undefined), 10_000, 50);
    await thread.pause();
    const lastOfA = await beatOf(a.id);
    thread.beatFor(b.id, 200);
    // Beats for the second job, one every 200 ms: three distinct ones within 2 s.
    const seen = new Set<number>();
    await waitFor('three beats for the second job', async () => (seen.add(await beatOf(b.id)).size >= 4 ? true : undefined), 10_000, 100);
    // None for the first since the pause, though it is still RUNNING.
    expect(await beatOf(a.id)).toBe(lastOfA);
  } finally {
    await thread.close();
  }
});
