// Job processes kept between jobs (workers/runner.ts, workers/job.ts): a runner hands its slot's
// next job to the process whose job succeeded, up to maxJobsPerProcess jobs and while it has been
// idle for less than idleProcessMs; a failed job ends its process. A job run as a process's third
// computes exactly what it computes in a fresh process. Each job's log names its process and the
// job's place in it, which is what this file reads.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runner, type RunnerOptions } from '../../workers/runner.js';
import { copySharedModel, sharedDir } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
const root = tempDir('bonsai-reuse-');
const runners: Runner[] = [];
const verses = readFileSync(join(sharedDir, 'data', 'kjv-val.txt'), 'utf8').split('\n');
const dataA = join(root, 'a.txt');
const dataB = join(root, 'b.txt');
const empty = join(root, 'empty.txt');

beforeAll(async () => {
  copySharedModel(join(root, 'kjv'));
  // Two short texts: the evaluations are the vehicle, their values the check.
  writeFileSync(dataA, `${verses.slice(0, 40).join('\n')}\n`);
  writeFileSync(dataB, `${verses.slice(40, 80).join('\n')}\n`);
  writeFileSync(empty, '');
  api = await startTestApi({ modelRoots: [root] });
  await api.register(join(root, 'kjv'), 'bible/kjv');
}, 120_000);
afterAll(async () => {
  for (const r of runners) await r.stop();
  await api?.close();
});

async function startRunner(options: Partial<RunnerOptions>): Promise<Runner> {
  const runner = new Runner(api.registry, api.registry.queue!, {
    concurrency: 1,
    databaseUrl: api.db.url,
    artifactsDir: api.registry.store.root,
    modelRoots: [root],
    ...options,
  });
  await runner.start();
  runners.push(runner);
  return runner;
}

interface Ran {
  status: string;
  errorCode: string | null;
  /** The process that ran it, and the job's place among that process's jobs (its log's first line). */
  pid: number;
  nth: number;
  perplexity: number | undefined;
}

/** Evaluates the model's perplexity on `data` and waits for the job to end. */
async function evaluate(data: string): Promise<Ran> {
  const r = await api.gql<{ evaluateModel: Array<{ databaseId: string }> }>(
    'mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/kjv", tasks: $t) { databaseId } }',
    { t: [{ task: 'perplexity', data }] },
  );
  expect(r.errors).toBeUndefined();
  const id = r.data!.evaluateModel[0]!.databaseId;
  const job = await waitFor(
    'the job to end',
    async () => {
      const j = await api.db.prisma.job.findUniqueOrThrow({ where: { id } });
      return j.finishedAt ? j : undefined;
    },
    60_000,
    100,
  );
  const line = (job.logTail as string[]).map((l) => /job process (\d+), its job (\d+)$/.exec(l)).find(Boolean);
  expect(line, JSON.stringify(job.logTail)).toBeDefined();
  // The job's own row, read before the next evaluation of the same text replaces it.
  const row = await api.db.prisma.evaluation.findFirst({ where: { jobId: id, task: 'perplexity', metric: 'perplexity' } });
  return { status: job.status, errorCode: job.errorCode, pid: Number(line![1]), nth: Number(line![2]), perplexity: row?.value };
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

describe('job processes kept between jobs', () => {
  it('the slot’s next jobs run in the process whose job succeeded, up to maxJobsPerProcess, and compute what a fresh process computes', async () => {
    const runner = await startRunner({ maxJobsPerProcess: 3 });
    const first = await evaluate(dataA);
    const second = await evaluate(dataB);
    const third = await evaluate(dataA);
    const fourth = await evaluate(dataB);
    for (const j of [first, second, third, fourth]) expect(j.status).toBe('SUCCEEDED');
    expect([first, second, third].map((j) => [j.pid, j.nth])).toEqual([
      [first.pid, 1],
      [first.pid, 2],
      [first.pid, 3],
    ]);
    // Its third job was its last: the fourth starts a process of its own, and the first one is gone.
    expect(fourth.nth).toBe(1);
    expect(fourth.pid).not.toBe(first.pid);
    await waitFor('the used-up process to end', async () => (alive(first.pid) ? undefined : true), 10_000, 50);
    // Bit for bit: text A in a fresh process and as a process's third job; text B as a second job and in a fresh process.
    expect(first.perplexity).toBeGreaterThan(1);
    expect(third.perplexity).toBe(first.perplexity);
    expect(second.perplexity).toBeGreaterThan(1);
    expect(second.perplexity).not.toBe(first.perplexity);
    expect(fourth.perplexity).toBe(second.perplexity);
    // A stopped runner leaves no process waiting for a job.
    await runner.stop();
    expect(alive(fourth.pid)).toBe(false);
  }, 120_000);

  it('a failed job ends its process: the next job starts a fresh one', async () => {
    const runner = await startRunner({});
    const ok = await evaluate(dataA);
    const failed = await evaluate(empty);
    expect(failed).toMatchObject({ status: 'FAILED', pid: ok.pid, nth: 2 });
    expect(failed.errorCode).not.toBeNull();
    const next = await evaluate(dataA);
    expect(next).toMatchObject({ status: 'SUCCEEDED', nth: 1 });
    expect(next.pid).not.toBe(ok.pid);
    expect(alive(ok.pid)).toBe(false);
    expect(next.perplexity).toBe(ok.perplexity);
    await runner.stop();
  }, 120_000);

  it('a process idle for idleProcessMs ends, and the next job starts a fresh one', async () => {
    const runner = await startRunner({ idleProcessMs: 300 });
    const one = await evaluate(dataA);
    await waitFor('the idle process to end', async () => (alive(one.pid) ? undefined : true), 10_000, 50);
    const two = await evaluate(dataA);
    expect(two).toMatchObject({ status: 'SUCCEEDED', nth: 1 });
    expect(two.pid).not.toBe(one.pid);
    await runner.stop();
  }, 120_000);

  it('a runner refuses a maxJobsPerProcess that is not a whole number of at least 1', () => {
    for (const maxJobsPerProcess of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(
        () =>
          new Runner(api.registry, api.registry.queue!, {
            concurrency: 1,
            databaseUrl: api.db.url,
            artifactsDir: api.registry.store.root,
            modelRoots: [root],
            maxJobsPerProcess,
          }),
        String(maxJobsPerProcess),
      ).toThrow(/maxJobsPerProcess must be a whole number of at least 1/);
  });
});
