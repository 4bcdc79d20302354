// The prune pipeline end to end on real parts: API → pg-boss → runner → job process → store.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { LmSession } from '../../src/onnx/session.js';
import { buildCheckpoint, SLOW_LLAMA, sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
let roots: string;

beforeAll(async () => {
  roots = tempDir('bonsai-roots-');
  cpSync(sharedModel, join(roots, 'tiny-llama-kjv'), { recursive: true });
  cpSync(join(sharedDir, 'data', 'kjv-val.txt'), join(roots, 'kjv-val.txt'));
  await buildCheckpoint('llama', join(roots, 'big'), { config: SLOW_LLAMA });
  api = await startTestApi({ modelRoots: [roots] });
  await api.startRunner([roots]);
  await api.register(join(roots, 'tiny-llama-kjv'), 'bible/tiny');
  await api.register(join(roots, 'big'), 'acme/big');
}, 120_000);
afterAll(async () => {
  await api.close();
});

async function modelState(name: string) {
  const r = await api.gql<{
    model: {
      status: string;
      parameterCount: string;
      byteSize: string | null;
      files: Array<{ path: string; sha256: string }>;
      jobs: Array<{ status: string; progress: number; stage: string; attempts: number; logTail: string[]; error: string | null }>;
    };
  }>(
    `query($n: String!) { model(name: $n) { status parameterCount byteSize files { path sha256 } jobs { status progress stage attempts logTail error } } }`,
    { n: name },
  );
  return r.data!.model;
}

describe('prune pipeline', () => {
  it('spawns a 40 % width variant that ends READY with the planned weights in the store', async () => {
    const r = await api.gql<{ spawnPrunedVariant: { model: { name: string }; plan: { parametersAfter: string } } }>(
      `mutation { spawnPrunedVariant(parent: "bible/tiny", recipe: { mlpWidth: { pruningFraction: 0.4 } }) { model { name } plan { parametersAfter } } }`,
    );
    expect(r.errors).toBeUndefined();
    const name = r.data!.spawnPrunedVariant.model.name;
    const m = await waitFor('READY', async () => {
      const s = await modelState(name);
      return s.status === 'READY' || s.status === 'FAILED' ? s : undefined;
    });
    expect(m.status).toBe('READY');
    expect(m.parameterCount).toBe(r.data!.spawnPrunedVariant.plan.parametersAfter);
    expect(m.jobs[0]).toMatchObject({ status: 'SUCCEEDED', progress: 1, attempts: 1, error: null });
    // The job is SUCCEEDED in the transaction that stores the model; its process writes the
    // "stored" line only after that commit (workers/prune.ts), so the line may trail by a moment.
    const logTail = await waitFor(
      'the stored line in the job log',
      async () => {
        const tail = (await modelState(name)).jobs[0]!.logTail;
        return tail.some((l) => l.includes('stored')) ? tail : undefined;
      },
      10_000,
    );
    expect(logTail.some((l) => l.endsWith(`stored ${m.files.length} files`))).toBe(true);
    // The stored files are a loadable checkpoint with the new shape and the recipe beside it.
    const dir = join(tempDir('bonsai-checkout-'), 'child');
    await api.registry.store.checkout(m.files, dir);
    const report = await inspectCheckpoint(dir);
    expect(report.arch.intermediateSize).toBe(308);
    expect(report.parameters.agree).toBe(true);
    expect(String(report.parameters.fromTensors.total)).toBe(m.parameterCount);
    expect(BigInt(m.byteSize!)).toBe(BigInt(report.weightBytes));
    const recipe = JSON.parse(readFileSync(join(dir, 'bonsai_recipe.json'), 'utf8')) as { recipe: { pruningFraction: number } };
    expect(recipe.recipe.pruningFraction).toBe(0.4);
    // The tokenizer is unchanged: the child shares the parent's blob.
    const parent = await modelState('bible/tiny');
    const tok = (files: Array<{ path: string; sha256: string }>) => files.find((f) => f.path === 'tokenizer.json')!.sha256;
    expect(tok(m.files)).toBe(tok(parent.files));
    // Its card, hardware figures and README.md come from the same rows.
    const c = await api.gql<{
      model: {
        card: { markdown: string; metadata: { base_model: string; tags: string[] } };
        hardwareRequirements: { weightBytes: string; kvCacheBytes: string };
      };
    }>(
      `query($n: String!) { model(name: $n) { card { markdown metadata } hardwareRequirements(contextLength: 2048, weightDtype: BF16, kvDtype: BF16) { weightBytes kvCacheBytes } } }`,
      { n: name },
    );
    expect(c.errors).toBeUndefined();
    expect(c.data!.model.card.metadata).toMatchObject({ base_model: 'bible/tiny', tags: ['bonsai', 'width-pruning'] });
    const before = 8_800_704;
    const after = Number(m.parameterCount);
    expect(c.data!.model.card.markdown).toContain(`${before.toLocaleString('en-US')} → ${after.toLocaleString('en-US')}`);
    expect(c.data!.model.card.markdown).toMatch(/\| `intermediate_size` \| 512 \| 308 \|/);
    expect(BigInt(c.data!.model.hardwareRequirements.weightBytes)).toBe(2n * BigInt(after));
    // 6 layers × 6 kv heads × 32 head_dim × 2 (K and V) × 2048 positions × 2 bytes.
    expect(c.data!.model.hardwareRequirements.kvCacheBytes).toBe(String(2 * 6 * 6 * 32 * 2048 * 2));
    const readme = await fetch(`${api.server.url}/models/${name}/README.md`);
    expect(readme.status).toBe(200);
    expect(readme.headers.get('content-type')).toMatch(/text\/markdown/);
    expect(await readme.text()).toBe(c.data!.model.card.markdown);
    expect((await fetch(`${api.server.url}/models/nobody/nothing/README.md`)).status).toBe(404);
    // `bonsai export` writes the files (copies, same sha256) and the same README.md.
    const out = join(tempDir('bonsai-export-'), 'exported');
    const exp = runBonsai(['export', name, out], { DATABASE_URL: api.db.url, BONSAI_ARTIFACTS_DIR: api.registry.store.root });
    expect((await exp.exited).code).toBe(0);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe(c.data!.model.card.markdown);
    const weights = m.files.find((f) => f.path === 'model.safetensors')!;
    expect(
      createHash('sha256')
        .update(readFileSync(join(out, 'model.safetensors')))
        .digest('hex'),
    ).toBe(weights.sha256);
    // No temp folder is left behind.
    expect(readdirSync(join(api.registry.store.root, 'tmp')).filter((n) => n.startsWith('job-'))).toEqual([]);
  }, 90_000);

  it('evaluations run after the prune, the model goes EVALUATING → READY, and the card states the delta to the parent', async () => {
    const data = join(roots, 'kjv-val.txt');
    const ev = [{ task: 'perplexity', data, limit: 2000 }];
    const p = await api.gql<{ evaluateModel: Array<{ id: string }> }>(
      `mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/tiny", tasks: $t) { id } }`,
      { t: ev },
    );
    expect(p.errors).toBeUndefined();
    const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
      `mutation($e: [EvaluationTaskInput!]!) { spawnPrunedVariant(parent: "bible/tiny", recipe: { depth: { last: 1 } }, evaluate: $e) { model { name } } }`,
      { e: ev },
    );
    expect(r.errors).toBeUndefined();
    const name = r.data!.spawnPrunedVariant.model.name;
    const statuses = new Set<string>();
    await waitFor(
      'READY',
      async () => {
        const s = await modelState(name);
        statuses.add(s.status);
        return s.status === 'READY' || s.status === 'FAILED' ? s : undefined;
      },
      120_000,
      100,
    );
    expect([...statuses].at(-1)).toBe('READY');
    // The follow-up evaluation was enqueued with its row by the prune's own transaction (not
    // found later by the runner's 30-s reconcile): its queue entry has the row's id.
    const [owner, short] = name.split('/');
    const child = await api.db.prisma.model.findFirstOrThrow({ where: { owner, name: short } });
    const evalJob = await api.db.prisma.job.findFirstOrThrow({ where: { modelId: child.id, kind: 'EVALUATE' } });
    expect(evalJob.queueJobId).toBe(evalJob.id);
    expect(evalJob.startedAt!.getTime() - evalJob.createdAt.getTime()).toBeLessThan(15_000);
    const q = await api.gql<{
      model: {
        evaluations: Array<{ metric: string; value: number; settings: { tokens: number } }>;
        card: { markdown: string; metadata: Record<string, unknown> };
      };
    }>(`query($n: String!) { model(name: $n) { evaluations(task: "perplexity") { metric value settings } card { markdown metadata } } }`, {
      n: name,
    });
    const ppl = q.data!.model.evaluations.find((e) => e.metric === 'perplexity')!;
    expect(ppl.settings.tokens).toBe(2000);
    expect(ppl.value).toBeGreaterThan(1);
    expect(q.data!.model.card.metadata['model-index']).toBeDefined();
    expect(q.data!.model.card.markdown).toMatch(/perplexity perplexity on kjv-val\.txt: \d+\.\d{4} → \d+\.\d{4}/);
  }, 180_000);

  it('a running job is cancelled within 10 s, its temporary files removed, the model FAILED', async () => {
    const r = await api.gql<{ spawnPrunedVariant: { model: { name: string }; job: { id: string } } }>(
      `mutation { spawnPrunedVariant(parent: "acme/big", recipe: { sparsity: { sparsity: 0.5, scope: "global" } }) { model { name } job { id } } }`,
    );
    expect(r.errors).toBeUndefined();
    const jobId = r.data!.spawnPrunedVariant.job.id;
    const job = async () =>
      (
        await api.gql<{ job: { status: string; stage: string | null; progress: number } }>(
          `query($id: ID!) { job(id: $id) { status stage progress } }`,
          { id: jobId },
        )
      ).data!.job;
    await waitFor(
      'the job to run',
      async () => ((await job()).status === 'RUNNING' && (await job()).stage !== 'starting' ? true : undefined),
      60_000,
      100,
    );
    const asked = Date.now();
    const c = await api.gql(`mutation($id: ID!) { cancelJob(id: $id) { cancelRequested } }`, { id: jobId });
    expect(c.errors).toBeUndefined();
    const final = await waitFor('cancelled', async () => ((await job()).status === 'CANCELLED' ? job() : undefined), 15_000, 100);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(final.status).toBe('CANCELLED');
    expect((await modelState(r.data!.spawnPrunedVariant.model.name)).status).toBe('FAILED');
    const tmp = join(api.registry.store.root, 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp).filter((n) => n.includes(jobId)) : []).toEqual([]);
  }, 120_000);
  it('exports a model to ONNX through a job; the files download and reproduce reference.json’s probe', async () => {
    const denied = await api.gql(`mutation { exportOnnx(model: "bible/tiny") { id } }`, {}, api.tokens.READER);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const r = await api.gql<{ exportOnnx: { id: string } }>(`mutation { exportOnnx(model: "bible/tiny") { id status } }`);
    expect(r.errors).toBeUndefined();
    const id = r.data!.exportOnnx.id;
    const job = await waitFor(
      'the export',
      async () => {
        const j = (
          await api.gql<{ job: { status: string; error: string | null } }>(`query($id: ID!) { job(id: $id) { status error } }`, { id })
        ).data!.job;
        return j.status === 'SUCCEEDED' || j.status === 'FAILED' ? j : undefined;
      },
      120_000,
      200,
    );
    expect(job).toEqual({ status: 'SUCCEEDED', error: null });
    const m = await api.gql<{ model: { onnx: { files: Array<{ path: string; size: string; url: string }> } } }>(
      `{ model(name: "bible/tiny") { onnx { key files { path size url } } } }`,
    );
    const files = m.data!.model.onnx.files;
    expect(files.map((f) => f.path).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    const dir = tempDir('bonsai-onnx-download-');
    for (const f of files) {
      const res = await fetch(`${api.server.url}${f.url}`);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.byteLength).toBe(Number(f.size));
      writeFileSync(join(dir, f.path), bytes);
    }
    const ref = JSON.parse(readFileSync(join(sharedModel, 'reference.json'), 'utf8')) as {
      probe: { input_ids: number[]; logits_first5_each_position: number[][] };
    };
    const session = await LmSession.open(join(dir, 'model.onnx'), { threads: 2 });
    const out = await session.run([ref.probe.input_ids], ['logits']);
    await session.release();
    const logits = out.logits!.data as Float32Array;
    const V = out.logits!.dims[2]!;
    let maxDiff = 0;
    ref.probe.logits_first5_each_position.forEach((row, p) => {
      for (const [j, v] of row.entries()) maxDiff = Math.max(maxDiff, Math.abs(logits[p * V + j]! - v));
    });
    expect(maxDiff).toBeLessThan(1e-3);
    expect((await fetch(`${api.server.url}/models/bible/tiny/onnx/other.bin`)).status).toBe(404);
  }, 180_000);
});
