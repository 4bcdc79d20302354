// An encoder through the registry, the way a user takes it: register a sentence-transformers
// XLM-R folder, spawn a vocabulary trim through GraphQL, evaluate the child against its parent with
// embedding-similarity, and read its card (an encoder keeps no KV cache).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../fixtures/checkpoints.js';
import { buildEncoderCheckpoint } from '../fixtures/encoders.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
let spanish: string;

beforeAll(async () => {
  const roots = tempDir('bonsai-roots-');
  await buildEncoderCheckpoint('xlm-roberta-sentence-transformer', join(roots, 'mini-e5'));
  // The first 2,000 lines (a quarter): the flow through registry, job and evaluation is what this
  // file checks, and counting the whole file was most of the job's time.
  spanish = join(roots, 'fortunes-es.txt');
  writeFileSync(
    spanish,
    `${readFileSync(join(sharedDir, 'data', 'fortunes-es.txt'), 'utf8')
      .split('\n')
      .slice(0, 2000)
      .join('\n')}\n`,
  );
  api = await startTestApi({ modelRoots: [roots] });
  await api.startRunner([roots]);
  await api.register(join(roots, 'mini-e5'), 'acme/mini-e5');
}, 120_000);
afterAll(async () => {
  await api.close();
});

interface State {
  status: string;
  parameterCount: string;
  files: Array<{ path: string }>;
  jobs: Array<{ kind: string; status: string; error: string | null }>;
  evaluations: Array<{ task: string; metric: string; value: number }>;
  card: { markdown: string };
}

const state = async (name: string) =>
  (
    await api.gql<{ model: State }>(
      `query($n: String!) { model(name: $n) { status parameterCount files { path } jobs { kind status error } evaluations { task metric value } card { markdown } } }`,
      { n: name },
    )
  ).data!.model;

describe('a sentence-transformers encoder in the registry', () => {
  it('registers with its pooling module, trims to Spanish, and embeds Spanish text as its parent does', async () => {
    const parent = await state('acme/mini-e5');
    expect(parent.files.map((f) => f.path)).toEqual(expect.arrayContaining(['modules.json', '1_Pooling/config.json', 'model.safetensors']));
    expect(parent.card.markdown).toContain('keeps no KV cache');

    const refused = await api.gql(
      `mutation { spawnPrunedVariant(parent: "acme/mini-e5", recipe: { mlpWidth: { pruningFraction: 0.2 } }) { model { name } } }`,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/only vocabulary trimming/);

    const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
      `mutation($d: String!) { spawnPrunedVariant(parent: "acme/mini-e5", recipe: { vocab: { corpus: [$d] } }, name: "acme/mini-e5-es",
         evaluate: [{ task: "embedding-similarity", data: $d, limit: 48 }]) { model { name } } }`,
      { d: spanish },
    );
    expect(r.errors).toBeUndefined();
    const child = await waitFor(
      'evaluated',
      async () => {
        const s = await state('acme/mini-e5-es');
        if (s.status === 'FAILED') return s;
        // Results are written before the job finishes; READY comes when no evaluation is left pending.
        return s.status === 'READY' && s.evaluations.length > 0 ? s : undefined;
      },
      180_000,
    );
    expect(child.status).toBe('READY');
    expect(child.files.map((f) => f.path)).toContain('1_Pooling/config.json');
    const metric = (m: string) => child.evaluations.find((e) => e.task === 'embedding-similarity' && e.metric === m)?.value;
    expect(metric('cosine_min')).toBeGreaterThanOrEqual(0.99999);
    expect(metric('identical_tokenization')).toBe(1);
    expect(BigInt(child.parameterCount)).toBeLessThan(BigInt(parent.parameterCount) / 4n);
    // Longer than the wait for the job above, so a slow job fails with that wait's message.
  }, 240_000);
});
