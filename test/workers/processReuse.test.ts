// Job processes kept between jobs (workers/runner.ts, workers/job.ts): a runner hands its slot's
// next job to the process whose job succeeded, up to maxJobsPerProcess jobs and while it has been
// idle for less than idleProcessMs; a failed job ends its process. A job run as a process's third
// computes exactly what it computes in a fresh process. Each job's log names its process and the
// job's place in it, which is what this file reads.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
const long = join(root, 'long.txt');

beforeAll(async () => {
  copySharedModel(join(root, 'kjv'));
  // Two short texts: the evaluations are the vehicle, their values the check.
  writeFileSync(dataA, `${verses.slice(0, 40).join('\n')}\n`);
  writeFileSync(dataB, `${verses.slice(40, 80).join('\n')}\n`);
  writeFileSync(empty, '');
  // Long enough to be cancelled while it runs (the runner looks for cancellations every 2 s; 400 KB
  // is about 100,000 tokens, 12 s at 8,000 tokens/s).
  writeFileSync(long, readFileSync(join(sharedDir, 'data', 'kjv-train.txt'), 'utf8').slice(0, 400_000));
  api = await startTestApi({ modelRoots: [root] });
  await api.register(join(root, 'kjv'), 'bible/kjv');
}, 120_000);
// Each test's runner stops when the test ends, passed or not: one left taking jobs would run the next test's.
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});
afterAll(async () => {
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
  id: string;
  status: string;
  errorCode: string | null;
  /** The process that ran it, and the job's place among that process's jobs (its log's first line). */
  pid: number;
  nth: number;
  perplexity: number | undefined;
}

/** Asks for the model's perplexity on `data`: the job's global and database ids. */
async function askEvaluation(data: string): Promise<{ id: string; databaseId: string }> {
  const r = await api.gql<{ evaluateModel: Array<{ id: string; databaseId: string }> }>(
    'mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/kjv", tasks: $t) { id databaseId } }',
    { t: [{ task: 'perplexity', data }] },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.evaluateModel[0]!;
}

/** The job's process and its place there, from the job's log. */
function processLine(logTail: unknown): { pid: number; nth: number } | undefined {
  const line = (logTail as string[]).map((l) => /job process (\d+), its job (\d+)$/.exec(l)).find(Boolean);
  return line ? { pid: Number(line[1]), nth: Number(line[2]) } : undefined;
}

/** Evaluates the model's perplexity on `data` and waits for the job to end. */
async function evaluate(data: string): Promise<Ran> {
  const id = (await askEvaluation(data)).databaseId;
  const job = await api.jobEnded(id);
  const ran = processLine(job.logTail);
  expect(ran, JSON.stringify(job.logTail)).toBeDefined();
  // The job's own row, read before the next evaluation of the same text replaces it.
  const row = await api.db.prisma.evaluation.findFirst({ where: { jobId: id, task: 'perplexity', metric: 'perplexity' } });
  return { id, status: job.status, errorCode: job.errorCode, ...ran!, perplexity: row?.value };
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
    await startRunner({});
    const ok = await evaluate(dataA);
    const failed = await evaluate(empty);
    expect(failed).toMatchObject({ status: 'FAILED', pid: ok.pid, nth: 2 });
    expect(failed.errorCode).not.toBeNull();
    const next = await evaluate(dataA);
    expect(next).toMatchObject({ status: 'SUCCEEDED', nth: 1 });
    expect(next.pid).not.toBe(ok.pid);
    expect(alive(ok.pid)).toBe(false);
    expect(next.perplexity).toBe(ok.perplexity);
  }, 120_000);

  it('a process idle for idleProcessMs ends, and the next job starts a fresh one', async () => {
    await startRunner({ idleProcessMs: 300 });
    const one = await evaluate(dataA);
    await waitFor('the idle process to end', async () => (alive(one.pid) ? undefined : true), 10_000, 50);
    const two = await evaluate(dataA);
    expect(two).toMatchObject({ status: 'SUCCEEDED', nth: 1 });
    expect(two.pid).not.toBe(one.pid);
  }, 120_000);

  it('a job cancelled as its process’s second ends the process: the next job starts a fresh one', async () => {
    await startRunner({});
    const ok = await evaluate(dataA);
    const { id, databaseId } = await askEvaluation(long);
    const running = await waitFor(
      'the long evaluation to run as the process’s second job',
      async () => {
        const j = await api.db.prisma.job.findUniqueOrThrow({ where: { id: databaseId } });
        const ran = processLine(j.logTail);
        return j.status === 'RUNNING' && ran && j.stage !== 'starting' ? ran : undefined;
      },
      30_000,
      50,
    );
    expect(running).toEqual({ pid: ok.pid, nth: 2 });
    const c = await api.gql(`mutation($id: ID!) { cancelJob(id: $id) { cancelRequested } }`, { id });
    expect(c.errors).toBeUndefined();
    const final = await api.jobEnded(databaseId, 'the job to be cancelled', 30_000);
    expect(final.status).toBe('CANCELLED');
    await waitFor('the cancelled job’s process to end', async () => (alive(ok.pid) ? undefined : true), 10_000, 50);
    const next = await evaluate(dataA);
    expect(next).toMatchObject({ status: 'SUCCEEDED', nth: 1, perplexity: ok.perplexity });
    expect(next.pid).not.toBe(ok.pid);
  }, 120_000);

  it('a process ended between jobs (a SIGTERM while it waits) costs no job: the one before stays SUCCEEDED, the next starts a fresh process', async () => {
    await startRunner({});
    const one = await evaluate(dataA);
    process.kill(one.pid, 'SIGTERM');
    await waitFor('the idle process to end', async () => (alive(one.pid) ? undefined : true), 10_000, 50);
    const two = await evaluate(dataB);
    expect(two).toMatchObject({ status: 'SUCCEEDED', nth: 1 });
    expect(two.pid).not.toBe(one.pid);
    expect(await api.db.prisma.job.findUniqueOrThrow({ where: { id: one.id } })).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
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
