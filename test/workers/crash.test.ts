// Workers as real processes (`bonsai worker`) on one database and one artifact folder: a worker
// killed with SIGKILL in the middle of a prune, and two workers sharing ten jobs.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeInput } from '../../src/recipes/fields.js';
import { buildCheckpoint, SLOW_LLAMA, sharedModel } from '../fixtures/checkpoints.js';
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
  cpSync(sharedModel, join(roots, 'tiny'), { recursive: true });
  await buildCheckpoint('llama', join(roots, 'big'), { config: SLOW_LLAMA });
  api = await startTestApi({ modelRoots: [roots] });
  await api.register(join(roots, 'tiny'), 'bible/tiny');
  await api.register(join(roots, 'big'), 'acme/big');
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
    startWorker();
    const names: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
        `mutation($r: PruningRecipeInput!, $n: String!) { spawnPrunedVariant(parent: "bible/tiny", name: $n, recipe: $r) { model { name } } }`,
        { r: recipeInput({ method: 'mlp-width', pruningFraction: i / 20 }), n: `bible/tiny-w${i}` },
      );
      expect(r.errors).toBeUndefined();
      names.push(r.data!.spawnPrunedVariant.model.name);
    }
    const models = await waitFor(
      'ten READY models',
      async () => {
        const rows = await api.db.prisma.model.findMany({
          where: { owner: 'bible', name: { startsWith: 'tiny-w' } },
          include: { jobs: true },
        });
        return rows.every((m) => m.status === 'READY') && rows.length === 10 ? rows : undefined;
      },
      120_000,
      300,
    );
    for (const m of models) {
      expect(m.jobs).toHaveLength(1);
      expect(m.jobs[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    }
    expect(new Set(models.map((m) => m.artifactId)).size).toBe(10);
    // Both processes took work.
    const ran = workers.slice(-2).map((w) => (w.output().match(/job \S+ succeeded/g) ?? []).length);
    expect(ran.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
  }, 240_000);
});
