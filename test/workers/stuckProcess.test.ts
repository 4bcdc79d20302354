// A job process that stops without dying (SIGSTOP, a hang in native code) stops heartbeating: the
// supervisor hands its job back to the queue, and the runner that owns the process kills it, so
// the slot is free and the retry runs. (Before, the stopped process held its runner's only slot
// and every later job stayed QUEUED until someone cancelled the stuck one by hand.)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/registry/queue.js';
import { Runner } from '../../workers/runner.js';
import { copySharedModel, sharedDir } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
let runner: Runner;
const root = tempDir('bonsai-stuck-');

const ignoreSigint = join(root, 'ignore-sigint.cjs');

/** A runner's options with one slot on this file's registry. */
const runnerOptions = () => ({ concurrency: 1, databaseUrl: api.db.url, artifactsDir: api.registry.store.root, modelRoots: [root] });

beforeAll(async () => {
  writeFileSync(ignoreSigint, "process.on('SIGINT', () => {});\n");
  copySharedModel(join(root, 'kjv'));
  // A short text: the evaluation is only the vehicle; the retry should not wait on a long one.
  writeFileSync(join(root, 'val.txt'), readFileSync(join(sharedDir, 'data', 'kjv-val.txt'), 'utf8').slice(0, 4000));
  api = await startTestApi({ modelRoots: [root] });
  await api.register(join(root, 'kjv'), 'bible/kjv');
  await api.registry.queue!.boss.updateQueue(QUEUE, { name: QUEUE, retryLimit: 2, retryDelay: 1, retryBackoff: false });
  // One slot, and a job is lost after 6 s without a heartbeat (its job process beats every 1.2 s:
  // workers/progress.ts heartbeatInterval).
  runner = new Runner(api.registry, api.registry.queue!, {
    ...runnerOptions(),
    staleAfterMs: 6000,
    stopGraceMs: 500,
    // Job processes here ignore SIGINT, as one busy in native code would: stop() must kill them.
    env: { NODE_OPTIONS: `--require ${ignoreSigint}` },
  });
  await runner.start();
}, 120_000);
afterAll(async () => {
  await runner?.stop();
  await api?.close();
});

/** Asks for an evaluation of the model and waits for its job process: the job's id and the pid. */
async function evaluationProcess(): Promise<{ id: string; pid: number }> {
  const r = await api.gql<{ evaluateModel: Array<{ databaseId: string }> }>(
    'mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/kjv", tasks: $t) { databaseId } }',
    { t: [{ task: 'perplexity', data: join(root, 'val.txt') }] },
  );
  expect(r.errors).toBeUndefined();
  const id = r.data!.evaluateModel[0]!.databaseId;
  return { id, pid: await waitFor('the job process', async () => runner.processOf(id), 30_000, 20) };
}

describe('a stopped job process', () => {
  it('is killed when its job is handed back, and the retry runs in the freed slot', async () => {
    const { id, pid } = await evaluationProcess();
    // The job process is told the runner's threshold (it beats at a fifth of it: workers/progress.ts).
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('BONSAI_JOB_STALE_SECONDS=6');
    process.kill(pid, 'SIGSTOP');
    // The supervisor hands the job back; the owning runner kills the stopped process.
    await waitFor('the stopped process to be killed', async () => (existsSync(`/proc/${pid}`) ? undefined : true), 30_000, 100);
    const done = await api.jobEnded(id, 'the retry to finish', 90_000);
    expect(done.status, JSON.stringify(done)).toBe('SUCCEEDED');
    // Two attempts, or more on a machine so loaded that a healthy process missed its heartbeats too.
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(await api.db.prisma.evaluation.count({ where: { modelId: done.modelId! } })).toBeGreaterThan(0);
  }, 150_000);

  it('a runner refuses a stale threshold its job processes could not be told (under 5 s, or not finite)', () => {
    for (const staleAfterMs of [4999, 0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new Runner(api.registry, api.registry.queue!, { ...runnerOptions(), staleAfterMs }), String(staleAfterMs)).toThrow(
        /staleAfterMs must be a finite number of at least 5000 ms/,
      );
  });

  it('is gone when the runner stops: stop() returns after the SIGKILL has ended it, not before', async () => {
    const { pid } = await evaluationProcess();
    // Stopped (so it cannot finish first) and ignoring SIGINT: only the SIGKILL after the grace
    // period ends it.
    process.kill(pid, 'SIGSTOP');
    await runner.stop();
    // Killed and reaped: a process killed but not yet waited for is still in /proc (a zombie).
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 60_000);
});
