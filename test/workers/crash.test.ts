// Workers as real processes (`bonsai worker`) on one database and one artifact folder: a worker
// killed with SIGKILL in the middle of a prune, and two workers sharing ten jobs.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeInput } from '../../src/recipes/fields.js';
import { QUEUE } from '../../src/registry/queue.js';
import { buildCheckpoint, SLOW_LLAMA } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { type BonsaiProcess, runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
let roots: string;
const workers: BonsaiProcess[] = [];

function startWorker(): BonsaiProcess {
  const w = runBonsai(['worker'], {
    DATABASE_URL: api.db.url,
    BONSAI_HOME: join(api.home, 'worker-home'),
    BONSAI_ARTIFACTS_DIR: api.registry.store.root,
    BONSAI_MODEL_ROOTS: roots,
    BONSAI_JOB_STALE_SECONDS: '6',
  });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  roots = tempDir('bonsai-roots-');
  // The ten variants are about the queue, not the weights: a generated Llama (4 MB, built once per
  // run and shared with other files) instead of the shared model (17.6 MB) for each job to read.
  await buildCheckpoint('llama', join(roots, 'tiny'));
  await buildCheckpoint('llama', join(roots, 'big'), { config: SLOW_LLAMA });
  api = await startTestApi({ modelRoots: [roots] });
  await api.register(join(roots, 'tiny'), 'acme/tiny');
  await api.register(join(roots, 'big'), 'acme/big');
  // A retry 1 s after the hand-back instead of the queue's 5 s backoff (as stuckProcess.test.ts):
  // what is tested is that another worker takes the job up, not pg-boss's delay.
  await api.registry.queue!.boss.updateQueue(QUEUE, { name: QUEUE, retryLimit: 2, retryDelay: 1, retryBackoff: false });
}, 120_000);

afterAll(async () => {
  for (const w of workers) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGTERM');
      await w.exited;
    }
  }
  await api.close();
}, 60_000);

describe('workers as processes', () => {
  it('a worker killed with SIGKILL mid-prune: another takes the job up and the model ends READY once, never half-published', async () => {
    const first = startWorker();
    await first.waitFor(/worker ready/);
    const r = await api.gql<{ spawnPrunedVariant: { model: { databaseId: string; name: string }; job: { databaseId: string } } }>(
      `mutation { spawnPrunedVariant(parent: "acme/big", recipe: { sparsity: { sparsity: 0.5, scope: "global" } }) { model { databaseId: id name } job { databaseId } } }`,
    );
    expect(r.errors).toBeUndefined();
    const jobId = r.data!.spawnPrunedVariant.job.databaseId;
    const modelName = r.data!.spawnPrunedVariant.model.name;
    const [owner, name] = modelName.split('/') as [string, string];
    await waitFor(
      'the prune to be under way',
      async () => {
        const job = await api.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
        return job.status === 'RUNNING' && job.progress > 0.05 ? true : undefined;
      },
      90_000,
      100,
    );
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;

    const second = startWorker();
    await second.waitFor(/worker ready/);
    // Until READY, the model has no artifact: no partial file is ever visible through the registry.
    const ready = await waitFor(
      'READY',
      async () => {
        const m = await api.db.prisma.model.findUniqueOrThrow({ where: { owner_name: { owner, name } } });
        if (m.status !== 'READY') expect(m.artifactId).toBeNull();
        return m.status === 'READY' ? m : undefined;
      },
      180_000,
      200,
    );
    expect(Date.now() - killedAt).toBeLessThan(180_000);
    const job = await api.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job.status).toBe('SUCCEEDED');
    expect(job.attempts).toBe(2);
    expect(await api.db.prisma.artifact.count({ where: { model: { id: ready.id } } })).toBe(1);
  }, 300_000);

  it('two workers and ten spawned variants: each runs exactly once', async () => {
    // The second worker of the test above, and one more (two of their own when run alone).
    const pair = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    while (pair.length < 2) pair.push(startWorker());
    await Promise.all(pair.map((w) => w.waitFor(/worker ready/)));
    const jobIds: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const r = await api.gql<{ spawnPrunedVariant: { job: { databaseId: string } } }>(
        `mutation($r: PruningRecipeInput!, $n: String!) { spawnPrunedVariant(parent: "acme/tiny", name: $n, recipe: $r) { job { databaseId } } }`,
        { r: recipeInput({ method: 'mlp-width', pruningFraction: i / 20 }), n: `acme/tiny-w${i}` },
      );
      expect(r.errors).toBeUndefined();
      jobIds.push(r.data!.spawnPrunedVariant.job.databaseId);
    }
    await jobsFinished(pair, jobIds, 120_000);
    const models = await api.db.prisma.model.findMany({
      where: { owner: 'acme', name: { startsWith: 'tiny-w' } },
      include: { jobs: true },
    });
    expect(models).toHaveLength(10);
    for (const m of models) {
      expect(m.status).toBe('READY');
      expect(m.jobs).toHaveLength(1);
      expect(m.jobs[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    }
    expect(new Set(models.map((m) => m.artifactId)).size).toBe(10);
    // Each job ran to success in exactly one process, and both processes took work.
    const ran = pair.map((w) => jobIds.filter((id) => w.output().includes(`job ${id} succeeded`)));
    for (const id of jobIds)
      expect(
        ran.filter((ids) => ids.includes(id)),
        id,
      ).toHaveLength(1);
    for (const ids of ran) expect(ids.length).toBeGreaterThan(0);
  }, 240_000);
});

/**
 * Resolves once every job has a "job <id> succeeded" line in some worker's output (the runner logs
 * it after the job's row is final), rejects at a "failed" or "cancelled" one: woken by the
 * workers' output instead of polling the database.
 */
function jobsFinished(ws: BonsaiProcess[], jobIds: string[], timeoutMs: number): Promise<void> {
  const line = (id: string, outcome: string) => ws.some((w) => w.output().includes(`job ${id} ${outcome}`));
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      for (const w of ws) for (const stream of [w.child.stdout, w.child.stderr]) stream?.off('data', check);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${jobIds.filter((id) => !line(id, 'succeeded')).length} job(s)`));
    }, timeoutMs);
    function check() {
      const lost = jobIds.find((id) => line(id, 'failed') || line(id, 'cancelled'));
      if (lost) {
        stop();
        reject(new Error(`job ${lost} did not succeed:\n${ws.map((w) => w.output()).join('\n')}`));
      } else if (jobIds.every((id) => line(id, 'succeeded'))) {
        stop();
        resolve();
      }
    }
    // Added after BonsaiProcess's own listener, so a chunk is in output() when check runs.
    for (const w of ws) for (const stream of [w.child.stdout, w.child.stderr]) stream?.on('data', check);
    check();
  });
}
