// The job lifecycle on a real Postgres: every transition of src/registry/jobs/, and the races
// (a job finished twice, a stale job requeued while its first run completes, a cancel before the
// start, a late progress write after the end).
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { type RegistryDeps, registryDeps } from '../../src/registry/deps.js';
import {
  appendLog,
  cancelJob,
  completeEvaluation,
  completePrune,
  createJobIn,
  findJob,
  finishAttempt,
  jobTransaction,
  recordError,
  reportProgress,
  requeueStale,
  retryJob,
  startJob,
} from '../../src/registry/jobs/index.js';
import { JobQueue } from '../../src/registry/queue.js';
import { exitFailure } from '../../workers/failures.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/tmp.js';

let db: TestDatabase;
let deps: RegistryDeps;
let queue: JobQueue;
let parentId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const log = createLogger('error');
  queue = await JobQueue.start(db.url, log);
  deps = registryDeps({ artifactsDir: tempDir('bonsai-jobs-'), modelRoots: [] }, { prisma: db.prisma, queue, log });
  parentId = (await db.prisma.model.create({ data: { owner: 'a', name: 'parent', kind: 'BASE', status: 'READY' } })).id;
});
afterAll(async () => {
  await queue?.stop();
  await db?.drop();
});

let n = 0;
/** A QUEUED child model and its PRUNE (or EVALUATE) job, created as spawn does. */
async function newJob(kind: 'PRUNE' | 'EVALUATE' = 'PRUNE', status: 'QUEUED' | 'EVALUATING' = 'QUEUED') {
  const model = await db.prisma.model.create({ data: { owner: 'a', name: `child-${n++}`, kind: 'DERIVED', status } });
  await db.prisma.lineageEdge.create({
    data: { parentId, childId: model.id, relation: 'DEPTH_PRUNED', recipe: { method: 'depth', last: 1 } },
  });
  const payload = kind === 'PRUNE' ? { parentId, recipe: { method: 'depth', last: 1 } } : { request: { task: 'speed' } };
  const job = await jobTransaction(deps, (tx) => createJobIn(deps, tx, { kind, modelId: model.id, payload }));
  return { model, job };
}
const model = (id: string) => db.prisma.model.findUniqueOrThrow({ where: { id } });
const pruneOutput = (evaluate: Array<{ task: 'speed' }> = []) => ({
  files: [{ path: 'model.safetensors', sha256: 'a'.repeat(64), size: 10 }],
  parameters: 100,
  byteSize: 10,
  config: { num_hidden_layers: 1 },
  parentId,
  result: { parameters: 100 },
  evaluate,
});

beforeEach(() => {
  n++;
});

describe('create and start', () => {
  it('creates the row and its queue entry together; start makes it RUNNING once and the model PROCESSING', async () => {
    const { job, model: m } = await newJob();
    expect(job).toMatchObject({ status: 'QUEUED', attempts: 0, maxAttempts: queue.settings.retryLimit + 1 });
    expect(await queue.entryState(job.id)).toBe('created');
    const started = await startJob(deps, job.id);
    expect(started).toMatchObject({ status: 'RUNNING', attempts: 1, stage: 'starting' });
    expect((await model(m.id)).status).toBe('PROCESSING');
    expect(started!.heartbeatAt).not.toBeNull();
  });

  it('a job asked to cancel, or finished, is not started', async () => {
    const { job } = await newJob();
    await cancelJob(deps, job.id);
    expect(await startJob(deps, job.id)).toBeNull();
    expect((await findJob(deps, job.id)).status).toBe('CANCELLED');
  });
});

describe('progress', () => {
  it('writes stage and progress while RUNNING only, and keeps the last 20 log lines', async () => {
    const { job } = await newJob();
    await startJob(deps, job.id);
    await reportProgress(deps, job.id, { stage: 'writing', progress: 0.5 });
    expect(await findJob(deps, job.id)).toMatchObject({ stage: 'writing', progress: 0.5 });
    for (let i = 0; i < 25; i++) await appendLog(deps, job.id, `line ${i}`);
    const tail = (await findJob(deps, job.id)).logTail;
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('line 5');
    expect(tail[19]).toBe('line 24');
    await finishAttempt(deps, job.id, 'permanent', false);
    await reportProgress(deps, job.id, { stage: 'late', progress: 0.9 });
    expect((await findJob(deps, job.id)).stage).toBe('writing');
  });
});

describe('complete', () => {
  it('commits the artifact, the model READY, the edge result and SUCCEEDED together', async () => {
    const { job, model: m } = await newJob();
    await startJob(deps, job.id);
    expect(await completePrune(deps, await findJob(deps, job.id), pruneOutput())).toBe(true);
    const after = await db.prisma.model.findUniqueOrThrow({ where: { id: m.id }, include: { artifact: { include: { files: true } } } });
    expect(after).toMatchObject({ status: 'READY', parameterCount: 100n, byteSize: 10n });
    expect(after.artifact!.files.map((f) => f.path)).toEqual(['model.safetensors']);
    expect((await db.prisma.lineageEdge.findFirstOrThrow({ where: { childId: m.id } })).result).toEqual({ parameters: 100 });
    expect(await findJob(deps, job.id)).toMatchObject({ status: 'SUCCEEDED', progress: 1, stage: 'done' });
  });

  it('a job finished twice: the second run stores nothing and the first result stands', async () => {
    const { job, model: m } = await newJob();
    await startJob(deps, job.id);
    const row = await findJob(deps, job.id);
    expect(await completePrune(deps, row, pruneOutput())).toBe(true);
    const artifacts = await db.prisma.artifact.count();
    expect(await completePrune(deps, row, { ...pruneOutput(), parameters: 999 })).toBe(false);
    expect(await db.prisma.artifact.count()).toBe(artifacts);
    expect((await model(m.id)).parameterCount).toBe(100n);
    // The runner's end of the first attempt cannot undo the success either.
    expect(await finishAttempt(deps, job.id, 'retryable', false)).toBe('SUCCEEDED');
  });

  it('with evaluations: EVALUATING, follow-up jobs in the same transaction, READY after the last one ends', async () => {
    const { job, model: m } = await newJob();
    await startJob(deps, job.id);
    await completePrune(deps, await findJob(deps, job.id), pruneOutput([{ task: 'speed' }, { task: 'speed' }]));
    expect((await model(m.id)).status).toBe('EVALUATING');
    const evals = await db.prisma.job.findMany({ where: { modelId: m.id, kind: 'EVALUATE' }, orderBy: { createdAt: 'asc' } });
    expect(evals.map((e) => e.parentJobId)).toEqual([job.id, job.id]);
    for (const e of evals) expect(await queue.entryState(e.id)).toBe('created');

    const [first, second] = evals as [(typeof evals)[0], (typeof evals)[0]];
    await startJob(deps, first.id);
    const row = { task: 'speed', metric: 'tokens_per_second', value: 10, settings: { runs: 1 }, settingsKey: 'k'.repeat(64) };
    await completeEvaluation(deps, await findJob(deps, first.id), [row]);
    expect(await finishAttempt(deps, first.id, 'succeeded', false)).toBe('SUCCEEDED');
    expect((await model(m.id)).status).toBe('EVALUATING');
    await startJob(deps, second.id);
    // A failed evaluation still ends the wait: the weights are complete.
    expect(await finishAttempt(deps, second.id, 'permanent', false)).toBe('FAILED');
    expect((await model(m.id)).status).toBe('READY');
    // Re-running the same evaluation replaces its row.
    await completeEvaluation(deps, await findJob(deps, first.id), [{ ...row, value: 12 }]);
    expect((await db.prisma.evaluation.findMany({ where: { modelId: m.id } })).map((e) => e.value)).toEqual([12]);
  });
  it('two evaluations ending at once: the model READY every time (each counted the other running, and it stayed EVALUATING)', async () => {
    for (let round = 0; round < 12; round++) {
      const { job, model: m } = await newJob();
      await startJob(deps, job.id);
      await completePrune(deps, await findJob(deps, job.id), pruneOutput([{ task: 'speed' }, { task: 'speed' }]));
      const evals = await db.prisma.job.findMany({ where: { modelId: m.id, kind: 'EVALUATE' } });
      for (const e of evals) await startJob(deps, e.id);
      const rows = await Promise.all(evals.map((e) => findJob(deps, e.id)));
      await Promise.all(
        rows.map((r, i) => {
          const row = { task: 'speed', metric: 'tokens_per_second', value: i, settings: { runs: i }, settingsKey: String(i).repeat(64) };
          return completeEvaluation(deps, r, [row]);
        }),
      );
      expect((await model(m.id)).status, `round ${round}`).toBe('READY');
    }
  });
});

describe('finish an attempt', () => {
  it('the last evaluation’s success makes the model READY in the same transaction, before the attempt is closed', async () => {
    // A client polling until no job is queued or running must not be left with an EVALUATING model.
    const { job, model: m } = await newJob();
    await startJob(deps, job.id);
    await completePrune(deps, await findJob(deps, job.id), pruneOutput([{ task: 'speed' }]));
    const [evaluation] = await db.prisma.job.findMany({ where: { modelId: m.id, kind: 'EVALUATE' } });
    await startJob(deps, evaluation!.id);
    const row = { task: 'speed', metric: 'tokens_per_second', value: 10, settings: { runs: 1 }, settingsKey: 'k'.repeat(64) };
    await completeEvaluation(deps, await findJob(deps, evaluation!.id), [row]);
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: evaluation!.id } })).status).toBe('SUCCEEDED');
    expect((await model(m.id)).status).toBe('READY');
  });

  it('retryable with attempts left → QUEUED; then → FAILED, and a pruned model FAILED', async () => {
    const { job, model: m } = await newJob();
    await db.prisma.job.update({ where: { id: job.id }, data: { maxAttempts: 2 } });
    await startJob(deps, job.id);
    expect(await finishAttempt(deps, job.id, 'retryable', false)).toBe('QUEUED');
    expect(await findJob(deps, job.id)).toMatchObject({ status: 'QUEUED', stage: 'waiting to retry' });
    await startJob(deps, job.id);
    expect(await finishAttempt(deps, job.id, 'retryable', false)).toBe('FAILED');
    expect((await model(m.id)).status).toBe('FAILED');
  });

  it('permanent → FAILED at the first attempt; cancelled → CANCELLED', async () => {
    const a = await newJob();
    await startJob(deps, a.job.id);
    expect(await finishAttempt(deps, a.job.id, 'permanent', false)).toBe('FAILED');
    expect((await findJob(deps, a.job.id)).attempts).toBe(1);
    const b = await newJob();
    await startJob(deps, b.job.id);
    await cancelJob(deps, b.job.id);
    expect(await finishAttempt(deps, b.job.id, 'retryable', false)).toBe('CANCELLED');
    expect((await model(b.model.id)).status).toBe('FAILED');
  });

  it('a job already FAILED or CANCELLED stays as it is', async () => {
    const { job } = await newJob();
    await startJob(deps, job.id);
    await finishAttempt(deps, job.id, 'permanent', false);
    expect(await finishAttempt(deps, job.id, 'succeeded', false)).toBe('FAILED');
  });
});

describe('stale jobs', () => {
  it('a RUNNING job without a heartbeat is handed back to the queue', async () => {
    const { job } = await newJob();
    await startJob(deps, job.id);
    await db.prisma.job.update({ where: { id: job.id }, data: { heartbeatAt: new Date(Date.now() - 60_000) } });
    const requeued = await requeueStale(deps, 30_000);
    expect(requeued.map((j) => j.id)).toContain(job.id);
    expect(await findJob(deps, job.id)).toMatchObject({ status: 'QUEUED', stage: 'waiting to retry' });
  });

  it('a stale job whose first run completes first is not requeued over its result', async () => {
    const { job } = await newJob();
    await startJob(deps, job.id);
    await db.prisma.job.update({ where: { id: job.id }, data: { heartbeatAt: new Date(Date.now() - 60_000) } });
    await completePrune(deps, await findJob(deps, job.id), pruneOutput());
    expect((await requeueStale(deps, 30_000)).map((j) => j.id)).not.toContain(job.id);
    expect((await findJob(deps, job.id)).status).toBe('SUCCEEDED');
  });
});

describe('cancel and retry', () => {
  it('cancel: a queued job at once (its queue entry too), a running one flagged, a finished one CONFLICT', async () => {
    const queued = await newJob();
    expect(await cancelJob(deps, queued.job.id)).toMatchObject({ status: 'CANCELLED', cancelRequested: true });
    expect(await queue.entryState(queued.job.id)).toBe('cancelled');
    expect((await model(queued.model.id)).status).toBe('FAILED');
    const running = await newJob();
    await startJob(deps, running.job.id);
    expect(await cancelJob(deps, running.job.id)).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    await expect(cancelJob(deps, queued.job.id)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('retry: a failed job again as a new job pointing back, the model QUEUED; a running one CONFLICT', async () => {
    const { job, model: m } = await newJob();
    await startJob(deps, job.id);
    await expect(retryJob(deps, job.id, null)).rejects.toMatchObject({ code: 'CONFLICT' });
    await finishAttempt(deps, job.id, 'permanent', false);
    const again = await retryJob(deps, job.id, null);
    expect(again).toMatchObject({ status: 'QUEUED', parentJobId: job.id, kind: 'PRUNE' });
    expect((await model(m.id)).status).toBe('QUEUED');
    expect(await queue.entryState(again.id)).toBe('created');
  });
});

describe('every FAILED job says why, with a code', () => {
  // Generated attempts (fast-check, fixed seed; BONSAI_FC_SEED replays another): each attempt's
  // process records its own reason or not, then exits with any code or signal, with or without
  // V8's out-of-memory report, or loses its worker. The runner's path is followed exactly: exitFailure
  // (workers/failures.ts) reads the exit, finishAttempt closes the attempt.
  const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261204);
  const OOM = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory';
  const attempt = fc.record({
    recorded: fc.option(fc.constantFrom({ code: 'BAD_USER_INPUT', message: 'data: bad' }, { code: 'INTERNAL_ERROR', message: 'boom' }), {
      freq: 2,
    }),
    end: fc.constantFrom(
      { code: 0, signal: null },
      { code: 1, signal: null },
      { code: 3, signal: null },
      { code: 2, signal: null },
      { code: null, signal: 'SIGKILL' as const },
      { code: null, signal: 'SIGSEGV' as const },
      { code: null, signal: 'SIGABRT' as const },
      'lost' as const,
    ),
    stderr: fc.constantFrom('', 'some log line\n', `\n<--- Last few GCs --->\n${OOM}\n`),
  });
  it('over 60 generated histories of one to three attempts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 3 }), async (attempts) => {
        const { job } = await newJob();
        await db.prisma.job.update({ where: { id: job.id }, data: { maxAttempts: attempts.length } });
        for (const a of attempts) {
          if (!(await startJob(deps, job.id))) break;
          if (a.recorded) await recordError(deps, job.id, a.recorded);
          let state: string;
          if (a.end === 'lost') {
            // The worker died with it: the supervisor requeues it, then gives up (runner.ts supervise).
            await db.prisma.job.update({ where: { id: job.id }, data: { heartbeatAt: new Date(0) } });
            await requeueStale(deps, 1_000);
            state = await finishAttempt(deps, job.id, 'retryable', true);
          } else {
            const { outcome, failure } = exitFailure(a.end.code, a.end.signal, a.stderr);
            state = await finishAttempt(deps, job.id, outcome, false, failure);
          }
          if (state !== 'QUEUED') break;
        }
        const row = await findJob(deps, job.id);
        if (row.status === 'FAILED') {
          expect(row.error?.length).toBeGreaterThan(0);
          expect(row.errorCode?.length).toBeGreaterThan(0);
        }
        if (row.status === 'SUCCEEDED') expect(row.errorCode).toBeNull();
      }),
      { seed: SEED, numRuns: 60, endOnFailure: true },
    );
  }, 60_000);

  it('out of memory fails at once; a kill is retried; a crash without a reason is CRASHED', () => {
    expect(exitFailure(null, 'SIGABRT', OOM)).toMatchObject({ outcome: 'permanent', failure: { code: 'OUT_OF_MEMORY' } });
    expect(exitFailure(null, 'SIGKILL', '')).toMatchObject({
      outcome: 'retryable',
      failure: { code: 'KILLED', message: expect.stringMatching(/^the job process was killed by SIGKILL/) },
    });
    expect(exitFailure(1, null, '')).toMatchObject({ outcome: 'retryable', failure: { code: 'CRASHED' } });
    expect(exitFailure(3, null, '')).toMatchObject({ outcome: 'permanent' });
    expect(exitFailure(0, null, '').failure).toBeUndefined();
    // Only V8's own line counts: a log line quoting it, or a process that exited 0, is not out of memory.
    expect(exitFailure(0, null, OOM)).toEqual({ outcome: 'succeeded' });
    expect(exitFailure(1, null, `info: the text says "${OOM}"\n`)).toMatchObject({ failure: { code: 'CRASHED' } });
  });
});
