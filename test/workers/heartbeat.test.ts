// A job's heartbeat must not depend on its main thread: onnxruntime-node runs a session
// synchronously, and a large model's run outlasts BONSAI_JOB_STALE_SECONDS. A real job process
// stand-in blocks its main thread for 9 s; the heartbeat in Postgres keeps moving meanwhile.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HEARTBEAT_MS } from '../../workers/progress.js';
import { repoRoot } from '../helpers/bonsai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it('goes on while the job’s main thread is blocked', async () => {
  const job = await db.prisma.job.create({ data: { kind: 'EVALUATE', status: 'RUNNING', payload: {}, heartbeatAt: new Date(0) } });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test', 'workers', 'fixtures', 'blockingJob.ts'), db.url, job.id, '9000'],
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
  // While blocked (9 s), beats at least every HEARTBEAT_MS: two or more distinct ones after the block began.
  const during = new Set(seen.filter((t) => t > blockedAt + 500));
  expect(during.size).toBeGreaterThanOrEqual(2);
  const gaps = [...during]
    .sort()
    .map((t, i, a) => (i ? t - a[i - 1]! : 0))
    .slice(1);
  for (const g of gaps) expect(g).toBeLessThan(HEARTBEAT_MS * 2);
}, 60_000);
