// Model.tensors (issue 32): the shared model and three children spawned through the API (a 40 %
// MLP width prune, a depth prune of blocks 1 and 2, a 2:4 magnitude sparsity), each tensor marked
// against the parent from the stored pieces' hashes. The expected marks follow from each method's
// definition: a width prune slices gate/up rows and down columns and leaves attention, norms and
// embeddings alone; a depth prune drops blocks and renumbers the rest (child block i is parent
// block [0, 3, 4, 5][i]), bytes untouched; sparsity zeroes entries of the seven projections only.
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { waitFor } from '../helpers/waitFor.js';

const ROOT = 'bible/tiny-llama-kjv';
/** The shared model: 6 blocks, hidden 192, intermediate 512, vocabulary 32,000, BF16, tied embeddings. */
const LAYERS = 6;
const ATTENTION = ['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((p) => `self_attn.${p}.weight`);
const MLP = ['gate_proj', 'up_proj', 'down_proj'].map((p) => `mlp.${p}.weight`);
const NORMS = ['input_layernorm.weight', 'post_attention_layernorm.weight'];

interface Row {
  name: string;
  dtype: string;
  shape: number[];
  bytes: string;
  change: string | null;
  parentName: string | null;
  parentShape: number[] | null;
  nonZero: string | null;
}

let api: TestApi;
const children: Record<'width' | 'depth' | 'sparse', string> = { width: '', depth: '', sparse: '' };

async function tensors(name: string): Promise<Map<string, Row>> {
  const r = await api.gql<{ model: { tensors: Row[] } }>(
    'query($n: String!) { model(name: $n) { tensors { name dtype shape bytes change parentName parentShape nonZero } } }',
    { n: name },
  );
  expect(r.errors).toBeUndefined();
  return new Map(r.data!.model.tensors.map((t) => [t.name, t]));
}

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  await api.startRunner([dirname(sharedModel)]);
  await api.register(sharedModel, ROOT);
  const recipes = {
    width: { mlpWidth: { pruningFraction: 0.4 } },
    depth: { depth: { layers: [1, 2] } },
    sparse: { sparsity: { pattern: '2:4' } },
  };
  for (const [k, recipe] of Object.entries(recipes) as Array<[keyof typeof children, unknown]>) {
    const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
      `mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "${ROOT}", recipe: $r) { model { name } } }`,
      { r: recipe },
    );
    expect(r.errors).toBeUndefined();
    children[k] = r.data!.spawnPrunedVariant.model.name;
  }
  for (const name of Object.values(children)) {
    const status = await waitFor(
      `${name} READY`,
      async () => {
        const r = await api.gql<{ model: { status: string } }>('query($n: String!) { model(name: $n) { status } }', { n: name });
        const s = r.data!.model.status;
        return s === 'READY' || s === 'FAILED' ? s : undefined;
      },
      240_000,
      250,
    );
    expect(status).toBe('READY');
  }
}, 600_000);
afterAll(async () => {
  await api?.close();
});

describe('Model.tensors', () => {
  it('the root: its header as written (name, dtype, shape, bytes), no marks', async () => {
    const t = await tensors(ROOT);
    // 1 embedding + 9 per block + the final norm; lm_head is tied to the embedding (not stored).
    expect(t.size).toBe(1 + 9 * LAYERS + 1);
    // BF16: 2 bytes an element.
    expect(t.get('model.embed_tokens.weight')).toEqual({
      name: 'model.embed_tokens.weight',
      dtype: 'BF16',
      shape: [32000, 192],
      bytes: String(32000 * 192 * 2),
      change: null,
      parentName: null,
      parentShape: null,
      nonZero: null,
    });
    expect(t.get('model.layers.0.mlp.gate_proj.weight')?.shape).toEqual([512, 192]);
  });

  it('a 40 % MLP width prune: gate/up/down of every block SLICED 512 → 308, everything else KEPT', async () => {
    const t = await tensors(children.width);
    expect(t.size).toBe(1 + 9 * LAYERS + 1);
    for (let i = 0; i < LAYERS; i++) {
      const p = `model.layers.${i}.`;
      // k = 512 − floor(0.4 × 512) = 308 neurons kept: rows of gate and up, columns of down.
      for (const [m, shape, parentShape] of [
        ['mlp.gate_proj.weight', [308, 192], [512, 192]],
        ['mlp.up_proj.weight', [308, 192], [512, 192]],
        ['mlp.down_proj.weight', [192, 308], [192, 512]],
      ] as const) {
        expect(t.get(p + m)).toMatchObject({ change: 'SLICED', shape, parentShape, parentName: p + m, bytes: String(308 * 192 * 2) });
      }
      for (const m of [...ATTENTION, ...NORMS]) expect(t.get(p + m)).toMatchObject({ change: 'KEPT', parentName: p + m });
    }
    expect(t.get('model.embed_tokens.weight')?.change).toBe('KEPT');
    expect(t.get('model.norm.weight')?.change).toBe('KEPT');
  });

  it('a depth prune of blocks 1 and 2: blocks 1–3 are the parent’s 3–5 RENAMED byte for byte, block 0 KEPT', async () => {
    const t = await tensors(children.depth);
    expect(t.size).toBe(1 + 9 * (LAYERS - 2) + 1);
    const parentBlock = [0, 3, 4, 5];
    for (const [i, j] of parentBlock.entries()) {
      for (const m of [...ATTENTION, ...MLP, ...NORMS]) {
        const name = `model.layers.${i}.${m}`;
        expect(t.get(name)).toMatchObject({ change: i === 0 ? 'KEPT' : 'RENAMED', parentName: `model.layers.${j}.${m}` });
      }
    }
    expect([...t.keys()].some((n) => n.startsWith('model.layers.4.'))).toBe(false);
    expect(t.get('model.embed_tokens.weight')?.change).toBe('KEPT');
  });

  it('2:4 sparsity: the seven projections of every block REWRITTEN (same shape), embeddings and norms KEPT', async () => {
    const t = await tensors(children.sparse);
    expect(t.size).toBe(1 + 9 * LAYERS + 1);
    for (let i = 0; i < LAYERS; i++) {
      for (const m of [...ATTENTION, ...MLP]) {
        const row = t.get(`model.layers.${i}.${m}`)!;
        expect(row.change).toBe('REWRITTEN');
        expect(row.shape).toEqual(row.parentShape);
      }
      for (const m of NORMS) expect(t.get(`model.layers.${i}.${m}`)?.change).toBe('KEPT');
    }
    expect(t.get('model.embed_tokens.weight')?.change).toBe('KEPT');
    expect(t.get('model.norm.weight')?.change).toBe('KEPT');
  });

  it('2:4 sparsity: each rewritten tensor’s nonZero is the count of its downloaded bytes (half its elements); none for kept ones', async () => {
    const t = await tensors(children.sparse);
    const res = await fetch(`${api.server.url}/${children.sparse}/resolve/main/model.safetensors`);
    expect(res.status).toBe(200);
    const file = Buffer.from(await res.arrayBuffer());
    const headerLength = Number(file.readBigUInt64LE(0));
    const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<
      string,
      { dtype: string; shape: number[]; data_offsets: [number, number] }
    >;
    const f32 = new DataView(new ArrayBuffer(4));
    let rewritten = 0;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const row = t.get(name)!;
      if (row.change !== 'REWRITTEN') {
        expect(row.nonZero, name).toBeNull();
        continue;
      }
      rewritten++;
      // BF16 is the top half of a float32: decode each element and compare it with 0 (−0 === 0).
      expect(info.dtype).toBe('BF16');
      const [begin, end] = info.data_offsets.map((o) => 8 + headerLength + o) as [number, number];
      let nonZero = 0;
      for (let i = begin; i < end; i += 2) {
        f32.setUint32(0, file.readUInt16LE(i) << 16);
        if (f32.getFloat32(0) !== 0) nonZero++;
      }
      expect(row.nonZero, name).toBe(String(nonZero));
      // 2:4 zeroes two of every four inputs (the trained weights hold no zeros of their own).
      expect(nonZero).toBe((info.shape[0]! * info.shape[1]!) / 2);
    }
    expect(rewritten).toBe(7 * LAYERS);
    // A width prune counts nothing: its sliced tensors carry no non-zero count.
    for (const row of (await tensors(children.width)).values()) expect(row.nonZero).toBeNull();
  });

  it('is priced against the query cost limit: one request cannot read every model’s headers', async () => {
    const r = await api.gql(`{ models(first: 100) { nodes { tensors { name } } } }`);
    expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors?.[0]?.message).toMatch(/query cost \d+ is over the limit/);
  });

  it('a tree list, which has no first to price it, spends the same limit as it runs', async () => {
    // 20 aliases of the 4-model tree: statically 20 × (500 + a few), under 20,000; as it runs,
    // 80 cards × 500 = 40,000, so the first 40 are rendered and the rest refused with the reason.
    const one = `modelTree(root: "${ROOT}") { nodes { model { name card { markdown } } } }`;
    const small = await api.gql<{ t: { nodes: unknown[] } }>(`{ t: ${one} }`);
    expect(small.errors).toBeUndefined();
    expect(small.data!.t.nodes).toHaveLength(4);
    const many = await api.gql<Record<string, { nodes: Array<{ model: { card: { markdown: string } } }> } | null>>(
      `{ ${Array.from({ length: 20 }, (_, i) => `t${i}: ${one}`).join(' ')} }`,
    );
    // A refused card is null in a non-null field, so its tree is null: 10 whole trees, 40 cards.
    const trees = Object.values(many.data ?? {});
    const rendered = trees.flatMap((t) => t?.nodes ?? []).filter((n) => n.model.card.markdown.length > 0);
    expect(rendered).toHaveLength(40);
    expect(trees.filter((t) => t === null)).toHaveLength(10);
    const refused = (many.errors ?? []).filter((e) => e.extensions?.code === 'BAD_USER_INPUT');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.message).toMatch(/Model\.card costs 500 per model and this request has spent its limit of 20000/);
    // The same for tensors: 80 × 200 = 16,000 stays within the limit, 20 more aliases would not be allowed.
    const headers = await api.gql(
      `{ ${Array.from({ length: 20 }, (_, i) => `t${i}: modelTree(root: "${ROOT}") { nodes { model { tensors { name } } } }`).join(' ')} }`,
    );
    expect(headers.errors).toBeUndefined();
  });
});
