// Attention head pruning (issue 30 part 1): the kept heads are the top-k of the criterion as
// written here from its formula (LLM-Pruner's weight L2 norm of what a unit owns; Minitron's
// F_head, arXiv 2407.14679 §2.2, batch = L2 and sequence = mean), the written tensors are exactly
// the parent's rows and columns of those heads, the parameters are the new config's count by
// hand, removing nothing gives back the same bytes, heads that contribute nothing go without
// changing a logit, and the child's ONNX graph matches the TypeScript reference forward pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DECODER_FAMILIES, type DecoderFamily } from '../../src/arch/types.js';
import { calibrationTokens } from '../../src/calibration/tokens.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { prune } from '../../src/pruning/engine.js';
import { planPrune } from '../../src/pruning/plan.js';
import { pruneCheckpoint } from '../../src/pruning/pruneCheckpoint.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { buildCheckpoint, sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { worstLogitDiff } from '../helpers/graphVsReference.js';
import { referenceLogits } from '../helpers/reference.js';
import { rewriteCheckpoint, tensorBytes, tensorValues } from '../helpers/rewrite.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-attention-');
const IDS = Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % 200);
const sessions: LmSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

/** A llama fixture with 8 query heads in 2 groups (4 per group), head_dim 8, hidden 32. */
async function gqaFixture(
  name: string,
  seed = 11,
  family: DecoderFamily = 'llama',
  headDim = 8,
  more: Record<string, unknown> = {},
): Promise<string> {
  const out = join(dir, name);
  await buildCheckpoint(family, out, { seed, config: { num_attention_heads: 8, num_key_value_heads: 2, head_dim: headDim, ...more } });
  return out;
}

function maxDifference(a: Float64Array[], b: Float64Array[]): number {
  let worst = 0;
  a.forEach((row, p) => {
    for (let i = 0; i < row.length; i++) worst = Math.max(worst, Math.abs(row[i]! - b[p]![i]!));
  });
  return worst;
}

const sumSq = (v: Float32Array, from: number, to: number) => {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i]! * v[i]!;
  return s;
};

/** Indices of the k largest, ties to the lower index, ascending. */
const best = (scores: number[], k: number) =>
  scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);

/** The child's q/k/v rows and o columns must be the parent's of the given heads, in order. */
function expectHeads(
  p: Map<string, Float32Array>,
  c: Map<string, Float32Array>,
  layer: number,
  q: number[],
  kv: number[],
  H: number,
  d: number,
  Hq: number,
) {
  const l = `model.layers.${layer}.self_attn.`;
  const rowsOf = (w: Float32Array, heads: number[]) => heads.flatMap((h) => Array.from(w.subarray(h * d * H, (h + 1) * d * H)));
  expect(Array.from(c.get(`${l}q_proj.weight`)!)).toEqual(rowsOf(p.get(`${l}q_proj.weight`)!, q));
  expect(Array.from(c.get(`${l}k_proj.weight`)!)).toEqual(rowsOf(p.get(`${l}k_proj.weight`)!, kv));
  expect(Array.from(c.get(`${l}v_proj.weight`)!)).toEqual(rowsOf(p.get(`${l}v_proj.weight`)!, kv));
  const o = p.get(`${l}o_proj.weight`)!;
  const cols = q.flatMap((h) => Array.from({ length: d }, (_, i) => h * d + i));
  const expected: number[] = [];
  for (let r = 0; r < H; r++) for (const col of cols) expected.push(o[r * Hq * d + col]!);
  expect(Array.from(c.get(`${l}o_proj.weight`)!)).toEqual(expected);
}

describe('attention head pruning: plan', () => {
  it('parameters: the new config counted by hand (q/o lose H·d each per head, k/v H·d each per group)', async () => {
    const parent = await gqaFixture('plan');
    const config = JSON.parse(readFileSync(join(parent, 'config.json'), 'utf8')) as Record<string, unknown>;
    const H = 32;
    const d = 8;
    const L = 4;
    const group = planPrune(config, parseRecipe({ method: 'attention', unit: 'query-group', pruningFraction: 0.5 }));
    // 2 groups → 1: 4 query heads and 1 k/v head fewer in each of 4 layers.
    expect(group.parameters.before.total - group.parameters.after.total).toBe(L * (4 * 2 * H * d + 1 * 2 * H * d));
    expect(group.config).toMatchObject({ num_attention_heads: 4, num_key_value_heads: 1, head_dim: 8 });
    const heads = planPrune(config, parseRecipe({ method: 'attention', unit: 'query-head', numAttentionHeads: 2 }));
    expect(heads.parameters.before.total - heads.parameters.after.total).toBe(L * 6 * 2 * H * d);
    expect(heads.config).toMatchObject({ num_attention_heads: 2, num_key_value_heads: 2, head_dim: 8 });
    // The shared model (6 heads, 6 key/value heads) writes head_dim, which hidden_size / heads no longer gives.
    const shared = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
    const s = planPrune(shared, parseRecipe({ method: 'attention', pruningFraction: 0.5 }));
    expect(s.config).toMatchObject({ num_attention_heads: 3, num_key_value_heads: 3, head_dim: 32 });
    expect(s.parameters.before.total - s.parameters.after.total).toBe(6 * 3 * 4 * 192 * 32);
  });

  it('refuses what it cannot do, naming the field', () => {
    const shared = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(() => planPrune(shared, parseRecipe({ method: 'attention', unit: 'query-head', pruningFraction: 0.5 }))).toThrow(
      /recipe\.unit: .*one query head per key\/value head/,
    );
    expect(() => planPrune(shared, parseRecipe({ method: 'attention', numAttentionHeads: 7 }))).toThrow(/recipe\.numAttentionHeads/);
    // A fraction too small to remove one unit is refused, not silently ignored: 0.25 × 2 groups.
    const gqa = { ...shared, num_attention_heads: 8, num_key_value_heads: 2, head_dim: 24 };
    expect(() => planPrune(gqa, parseRecipe({ method: 'attention', pruningFraction: 0.25 }))).toThrow(
      /recipe\.pruningFraction: removes no key\/value group/,
    );
    expect(() => planPrune(gqa, parseRecipe({ method: 'attention', unit: 'query-head', pruningFraction: 0.2 }))).toThrow(
      /recipe\.pruningFraction: removes no query head/,
    );
    // BERT derives head_dim from hidden_size / num_attention_heads (BertSelfAttention.attention_head_size).
    const bert = {
      architectures: ['BertForMaskedLM'],
      model_type: 'bert',
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      vocab_size: 128,
      max_position_embeddings: 64,
      type_vocab_size: 2,
    };
    expect(() => planPrune(bert, parseRecipe({ method: 'attention', pruningFraction: 0.5 }))).toThrow(/recipe\.method/);
    expect(() => parseRecipe({ method: 'attention', unit: 'query-head', numKeyValueHeads: 1 })).toThrow(/recipe\.numKeyValueHeads/);
    expect(() => parseRecipe({ method: 'attention', criterion: 'activation', pruningFraction: 0.5 })).toThrow(/recipe\.calibration/);
    expect(() => parseRecipe({ method: 'attention', pruningFraction: 0.5, numAttentionHeads: 2 })).toThrow(/recipe\.pruningFraction/);
  });
});

describe('attention head pruning: what is written', () => {
  it('removing 0 heads gives back identical tensor bytes and config', async () => {
    const parent = await gqaFixture('zero');
    const out = await prune(parent, join(dir, 'zero-out'), parseRecipe({ method: 'attention', unit: 'query-head', pruningFraction: 0 }));
    const a = await tensorBytes(parent);
    const b = await tensorBytes(out.outDir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [n, bytes] of b) expect(bytes.equals(a.get(n)!), n).toBe(true);
    expect(JSON.parse(readFileSync(join(out.outDir, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(parent, 'config.json'), 'utf8')),
    );
  });

  it.each([
    ['query-group', 0.5],
    ['query-head', 0.5],
    ['query-head', 0.25],
  ] as const)('magnitude, %s %s: the kept heads are the top-k of the weights’ L2 norm', async (unit, fraction) => {
    const parent = await gqaFixture('magnitude');
    const out = await prune(
      parent,
      join(dir, `mag-${unit}-${fraction}`),
      parseRecipe({ method: 'attention', unit, pruningFraction: fraction }),
    );
    const p = await tensorValues(parent);
    const c = await tensorValues(out.outDir);
    const [H, d, Hq, G, r] = [32, 8, 8, 2, 4];
    for (let layer = 0; layer < 4; layer++) {
      const l = `model.layers.${layer}.self_attn.`;
      const q = p.get(`${l}q_proj.weight`)!;
      const o = p.get(`${l}o_proj.weight`)!;
      // ‖q rows‖² + ‖o columns‖² of each query head.
      const headSq = Array.from({ length: Hq }, (_, h) => {
        let s = sumSq(q, h * d * H, (h + 1) * d * H);
        for (let row = 0; row < H; row++) s += sumSq(o, row * Hq * d + h * d, row * Hq * d + (h + 1) * d);
        return s;
      });
      if (unit === 'query-group') {
        const k = p.get(`${l}k_proj.weight`)!;
        const v = p.get(`${l}v_proj.weight`)!;
        const groupScore = Array.from({ length: G }, (_, g) =>
          Math.sqrt(
            headSq.slice(g * r, (g + 1) * r).reduce((a, b) => a + b, 0) +
              sumSq(k, g * d * H, (g + 1) * d * H) +
              sumSq(v, g * d * H, (g + 1) * d * H),
          ),
        );
        const kept = best(groupScore, 1);
        expectHeads(
          p,
          c,
          layer,
          kept.flatMap((g) => [0, 1, 2, 3].map((i) => g * r + i)),
          kept,
          H,
          d,
          Hq,
        );
      } else {
        const keep = r - Math.floor(fraction * r);
        const q2 = [0, 1].flatMap((g) => best(headSq.slice(g * r, (g + 1) * r), keep).map((i) => g * r + i));
        expectHeads(p, c, layer, q2, [0, 1], H, d, Hq);
      }
    }
    // Each layer its own choice: the fixture's random weights do not pick the same heads everywhere.
    const firstRows = [0, 1, 2, 3].map((layer) =>
      Array.from(c.get(`model.layers.${layer}.self_attn.q_proj.weight`)!.subarray(0, 4)).join(),
    );
    expect(new Set(firstRows).size).toBe(4);
    expect(out.parameters).toBe([...c.values()].reduce((a, t) => a + t.length, 0));
  });

  it('activation (query-head): the kept heads are the top-k of Minitron’s F_head, mean over each 256-token sequence and L2 over sequences', async () => {
    const parent = await gqaFixture('activation');
    const calibration = join(sharedDir, 'data', 'kjv-val.txt');
    const samples = 600; // three sequences: 256, 256, 88
    const work = join(dir, 'activation-work');
    const out = await pruneCheckpoint(
      parent,
      join(dir, 'activation-out'),
      parseRecipe({ method: 'attention', unit: 'query-head', criterion: 'activation', pruningFraction: 0.5, calibration, samples }),
      { calibration: { cacheDir: join(work, 'cache'), tmp: work, threads: 1 } },
    );
    // The heads' outputs from the parent's own activation graph (o_proj's input tap), aggregated here.
    const graph = await exportOnnx(parent, join(dir, 'activation-graph'), { activations: true, outputs: [] });
    const s = await LmSession.open(graph.modelPath, { threads: 1 });
    sessions.push(s);
    const config = JSON.parse(readFileSync(join(parent, 'config.json'), 'utf8')) as Record<string, unknown>;
    const tokens = calibrationTokens(parent, config, calibration, samples);
    expect(tokens.length).toBe(samples);
    const [H, d, Hq, r] = [32, 8, 8, 4];
    const F = Array.from({ length: 4 }, () => new Array<number>(Hq).fill(0));
    for (let start = 0; start < tokens.length; start += 256) {
      const ids = tokens.slice(start, start + 256);
      const res = await s.run(
        [ids],
        [0, 1, 2, 3].map((l) => `o_in_${l}`),
      );
      for (let l = 0; l < 4; l++) {
        const x = res[`o_in_${l}`]!.data as Float32Array;
        for (let h = 0; h < Hq; h++) {
          let seqMean = 0;
          for (let t = 0; t < ids.length; t++) seqMean += Math.sqrt(sumSq(x, t * Hq * d + h * d, t * Hq * d + (h + 1) * d));
          seqMean /= ids.length;
          F[l]![h]! += seqMean ** 2;
        }
      }
    }
    const p = await tensorValues(parent);
    const c = await tensorValues(out.outDir);
    for (let l = 0; l < 4; l++) {
      const scores = F[l]!.map(Math.sqrt);
      const q = [0, 1].flatMap((g) => best(scores.slice(g * r, (g + 1) * r), 2).map((i) => g * r + i));
      expectHeads(p, c, l, q, [0, 1], H, d, Hq);
    }
  });

  it.each([
    ['query-head', { 0: [0, 3, 5, 6], 1: [1, 2, 4, 7], 2: [0, 2, 5, 7], 3: [0, 1, 6, 7] }],
    ['query-group', { 0: [4, 5, 6, 7], 1: [0, 1, 2, 3], 2: [0, 1, 2, 3], 3: [4, 5, 6, 7] }],
  ] as const)(
    '%s: heads that contribute nothing go first, and without changing a logit',
    async (unit, dead: Record<number, readonly number[]>) => {
      const base = await gqaFixture('dead-base', 5);
      const parent = join(dir, `dead-${unit}`);
      const d = 8;
      // Layer by layer different heads with zero q rows and o_proj columns (for whole groups also zero k/v rows).
      await rewriteCheckpoint(base, parent, (name, v, shape) => {
        const m = /layers\.(\d+)\.self_attn\.(q|k|v|o)_proj\.weight$/.exec(name);
        if (!m) return;
        const heads = dead[Number(m[1])]!;
        if (m[2] === 'q') for (const h of heads) v.fill(0, h * d * shape[1]!, (h + 1) * d * shape[1]!);
        else if (m[2] === 'o')
          for (const h of heads)
            for (let row = 0; row < shape[0]!; row++) v.fill(0, row * shape[1]! + h * d, row * shape[1]! + (h + 1) * d);
        else if (unit === 'query-group') {
          const g = heads[0]! / 4;
          v.fill(0, g * d * shape[1]!, (g + 1) * d * shape[1]!);
        }
      });
      const recipe = parseRecipe({ method: 'attention', unit, numAttentionHeads: 4 });
      const out = await prune(parent, join(dir, `dead-${unit}-out`), recipe);
      expect(maxDifference(await referenceLogits(out.outDir, IDS), await referenceLogits(parent, IDS))).toBe(0);
      // The check can fail: live heads removed do change them.
      const live = await prune(base, join(dir, `live-${unit}-out`), recipe);
      expect(maxDifference(await referenceLogits(live.outDir, IDS), await referenceLogits(base, IDS))).toBeGreaterThan(1e-6);
    },
  );
});

describe('attention head pruning: least-squares refit of o_proj', () => {
  it('where the held-out error says so, o_proj is W·G[:, K]·(G[K, K] + λI)⁻¹ on the kept heads’ columns; elsewhere the plain slice', async () => {
    const parent = await gqaFixture('refit');
    const calibration = join(sharedDir, 'data', 'kjv-val.txt');
    const samples = 1024;
    const work = join(dir, 'refit-work');
    const recipe = { method: 'attention', unit: 'query-head', pruningFraction: 0.5, calibration, samples } as const;
    const out = await pruneCheckpoint(parent, join(dir, 'refit-out'), parseRecipe({ ...recipe, reconstruct: 'least-squares' }), {
      calibration: { cacheDir: join(work, 'cache'), tmp: work, threads: 1 },
    });
    const plain = await prune(
      parent,
      join(dir, 'refit-plain'),
      parseRecipe({ method: 'attention', unit: 'query-head', pruningFraction: 0.5 }),
    );
    const report = out.reconstruction!;
    expect(report.layers.map((l) => l.layer)).toEqual([0, 1, 2, 3]);
    // The fit tokens: the first three quarters, in 256-token windows, through the parent's graph.
    const config = JSON.parse(readFileSync(join(parent, 'config.json'), 'utf8')) as Record<string, unknown>;
    const tokens = calibrationTokens(parent, config, calibration, samples);
    const fit = tokens.slice(0, samples - Math.floor(samples / 4));
    expect(report.fit_tokens).toBe(fit.length);
    const graph = await exportOnnx(parent, join(dir, 'refit-graph'), { activations: true, outputs: [] });
    const s = await LmSession.open(graph.modelPath, { threads: 1 });
    sessions.push(s);
    const [H, d, Hq] = [32, 8, 8];
    const n = Hq * d;
    const G = Array.from({ length: 4 }, () => new Float64Array(n * n));
    for (let start = 0; start < fit.length; start += 256) {
      const ids = fit.slice(start, start + 256);
      const res = await s.run(
        [ids],
        [0, 1, 2, 3].map((l) => `o_in_${l}`),
      );
      for (let l = 0; l < 4; l++) {
        const x = res[`o_in_${l}`]!.data as Float32Array;
        for (let t = 0; t < ids.length; t++)
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[l]![i * n + j]! += x[t * n + i]! * x[t * n + j]!;
      }
    }
    const p = await tensorValues(parent);
    const c = await tensorValues(out.outDir);
    const sliced = await tensorValues(plain.outDir);
    let applied = 0;
    for (let l = 0; l < 4; l++) {
      const name = `model.layers.${l}.self_attn.o_proj.weight`;
      const decision = report.layers[l]!;
      if (!decision.applied) {
        expect(Array.from(c.get(name)!)).toEqual(Array.from(sliced.get(name)!));
        continue;
      }
      applied++;
      expect(decision.held_out_error_after).toBeLessThan(decision.held_out_error_before);
      // The kept columns: the plain child's q rows tell which heads stayed (checked above to be the top-k).
      const q = p.get(`model.layers.${l}.self_attn.q_proj.weight`)!;
      const cq = sliced.get(`model.layers.${l}.self_attn.q_proj.weight`)!;
      const heads = [0, 1, 2, 3].map(
        (i) => [...Array(Hq).keys()].find((h) => q[h * d * H] === cq[i * d * H] && q[h * d * H + 1] === cq[i * d * H + 1])!,
      );
      const K = heads.flatMap((h) => Array.from({ length: d }, (_, i) => h * d + i));
      const k = K.length;
      // A = G[K, K] + λ·mean(diag)·I (SparseGPT's percdamp, 0.01), B = W·G[:, K]; W′ = B·A⁻¹ by Gauss–Jordan.
      const g = G[l]!;
      const A = K.map((i) => K.map((j) => g[i * n + j]!));
      const lambda = (0.01 * K.reduce((a, i) => a + g[i * n + i]!, 0)) / k;
      for (let i = 0; i < k; i++) A[i]![i]! += lambda;
      const W = p.get(name)!;
      const B = Array.from({ length: H }, (_, r) =>
        K.map((j) => {
          let v = 0;
          for (let i = 0; i < n; i++) v += W[r * n + i]! * g[i * n + j]!;
          return v;
        }),
      );
      // Solve X·A = B, i.e. A·Xᵀ = Bᵀ (A symmetric).
      const M = A.map((row, i) => [...row, ...B.map((b) => b[i]!)]);
      for (let col = 0; col < k; col++) {
        const piv = M[col]![col]!;
        for (let j = 0; j < M[col]!.length; j++) M[col]![j]! /= piv;
        for (let r = 0; r < k; r++) {
          if (r === col) continue;
          const f = M[r]![col]!;
          for (let j = 0; j < M[r]!.length; j++) M[r]![j]! -= f * M[col]![j]!;
        }
      }
      const got = c.get(name)!;
      for (let r = 0; r < H; r++)
        for (let j = 0; j < k; j++) {
          const want = M[j]![k + r]!;
          // bf16 keeps 8 significant bits: within one unit in the last place.
          expect(Math.abs(got[r * k + j]! - want), `${name}[${r}, ${j}]`).toBeLessThanOrEqual(Math.abs(want) / 128 + 1e-7);
        }
    }
    expect(applied).toBeGreaterThan(0);
  });
});

describe('attention head pruning: the child runs', () => {
  // head_dim 8: the plain-operator attention; 16: onnxruntime's GroupQueryAttention.
  const cases = DECODER_FAMILIES.flatMap((f) => [[f, 16, 'query-group'] as const, [f, 8, 'query-head'] as const]);
  it.each(cases)('%s, head_dim %i, %s 50 %%: the ONNX graph’s logits equal the reference forward pass', async (family, headDim, unit) => {
    // A 1,024-token vocabulary: the ids (< 200) are fed directly, head pruning leaves the embedding
    // and the head as they are, and a graph is built and checked the same way whatever the vocabulary
    // (test/onnx/export.test.ts checks every family's graph with its tokenizer's full vocabulary);
    // the 262,144 rows of the Gemma tokenizer's cost most of the time of the 14 cases (building,
    // pruning, exporting, loading and the reference's head).
    const parent = await gqaFixture(`${family}-${headDim}`, 7, family, headDim, { vocab_size: 1024 });
    const out = await prune(
      parent,
      join(dir, `${family}-${headDim}-${unit}`),
      parseRecipe({ method: 'attention', unit, pruningFraction: 0.5 }),
    );
    // test/onnx/export.test.ts's tolerance for the fixtures.
    expect(await worstLogitDiff(out.outDir, join(dir, `${family}-${headDim}-${unit}-onnx`), IDS)).toBeLessThan(1e-4);
    const heads =
      unit === 'query-group' ? { num_attention_heads: 4, num_key_value_heads: 1 } : { num_attention_heads: 4, num_key_value_heads: 2 };
    expect(out.plan.config).toMatchObject({ ...heads, head_dim: headDim });
  });
});
