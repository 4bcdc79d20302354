// Every FAILED job says why, with a code, also when its process could not: a job process that ran
// out of V8's heap fails at once as OUT_OF_MEMORY (issue 26: it was retried three times and ended
// FAILED with an empty error), and one killed with SIGKILL on each of its three attempts ends
// FAILED as KILLED (it ended with `error: null`). Both are real processes, killed for real.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/registry/queue.js';
import { Runner } from '../../workers/runner.js';
import { copySharedModel, sharedDir } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
const root = tempDir('bonsai-job-failures-');
const runners: Runner[] = [];

async function startRunner(env: Record<string, string> = {}): Promise<Runner> {
  const runner = new Runner(api.registry, api.registry.queue!, {
    concurrency: 1,
    databaseUrl: api.db.url,
    artifactsDir: api.registry.store.root,
    modelRoots: [root],
    env,
  });
  await runner.start();
  runners.push(runner);
  return runner;
}

beforeAll(async () => {
  copySharedModel(join(root, 'kjv'));
  copyFileSync(join(sharedDir, 'data', 'kjv-val.txt'), join(root, 'val.txt'));
  api = await startTestApi({ modelRoots: [root] });
  await api.register(join(root, 'kjv'), 'bible/kjv');
  // Retries after a second, not pg-boss's 5 s with backoff: the kill test waits for three attempts.
  await api.registry.queue!.boss.updateQueue(QUEUE, { name: QUEUE, retryLimit: 2, retryDelay: 1, retryBackoff: false });
}, 120_000);
afterAll(async () => {
  for (const r of runners) await r.stop();
  await api?.close();
});

const job = (id: string) => api.db.prisma.job.findUniqueOrThrow({ where: { id } });

async function evaluate(data: string): Promise<string> {
  const r = await api.gql<{ evaluateModel: Array<{ databaseId: string }> }>(
    'mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/kjv", tasks: $t) { databaseId } }',
    { t: [{ task: 'perplexity', data }] },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.evaluateModel[0]!.databaseId;
}

describe('a FAILED job says why, also when its process died', () => {
  it('out of memory: FAILED after one attempt, OUT_OF_MEMORY, the V8 message named', async () => {
    // A heap the job process boots in but cannot split 30 million lines in (an array of 240 MB).
    const runner = await startRunner({ NODE_OPTIONS: '--max-old-space-size=192' });
    const data = join(root, 'lines.txt');
    writeFileSync(data, 'a\n'.repeat(30_000_000));
    // Vocabulary trimming counts its corpus first thing (an evaluation would export ONNX first).
    const r = await api.gql<{ spawnPrunedVariant: { job: { databaseId: string } } }>(
      'mutation($c: [String!]!) { spawnPrunedVariant(parent: "bible/kjv", recipe: { vocab: { corpus: $c } }) { job { databaseId } } }',
      { c: [data] },
    );
    expect(r.errors).toBeUndefined();
    const done = await api.jobEnded(r.data!.spawnPrunedVariant.job.databaseId);
    await runner.stop();
    expect(done).toMatchObject({ status: 'FAILED', attempts: 1, errorCode: 'OUT_OF_MEMORY' });
    expect(done.error).toMatch(/^the job ran out of memory \(V8: "FATAL ERROR: .*JavaScript heap out of memory"\)/);
  }, 90_000);

  it('three kill -9s of its process: FAILED after three attempts, KILLED by SIGKILL', async () => {
    const runner = await startRunner();
    const id = await evaluate(join(root, 'val.txt'));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const pid = await waitFor(
        `the process of attempt ${attempt}`,
        async () => ((await job(id)).attempts === attempt ? runner.processOf(id) : undefined),
        30_000,
        20,
      );
      process.kill(pid, 'SIGKILL');
    }
    const done = await api.jobEnded(id);
    expect(done).toMatchObject({ status: 'FAILED', attempts: 3, errorCode: 'KILLED' });
    expect(done.error).toMatch(/^the job process was killed by SIGKILL/);
  }, 90_000);

  it('every FAILED job of this file has an error and a code, also as an anonymous reader sees them', async () => {
    const r = await api.gql<{ jobs: Array<{ error: string | null; errorCode: string | null }> }>(
      '{ jobs(filter: { status: [FAILED] }) { error errorCode } }',
      {},
      null,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.jobs.map((j) => j.errorCode).sort()).toEqual(['KILLED', 'OUT_OF_MEMORY']);
    for (const j of r.data!.jobs) expect(j.error?.length).toBeGreaterThan(0);
  });
});
