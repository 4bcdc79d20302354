// Hidden-channel pruning (issue 30 part 2): the kept channels are the top-k of the criterion as
// written here from its formula (the L2 norm of every weight a channel owns; Minitron's F_emb,
// arXiv 2407.14679 §2.2, at the output of every block's norms, sequence = mean, batch = L2,
// summed over the norms as NVIDIA's ModelOpt does), every written tensor is exactly the parent's
// columns, rows or entries of those channels, the parameters are the new config's count by hand
// and the written tensors' own count, removing nothing gives back the same bytes, and the child's
// ONNX graph matches the TypeScript reference forward pass in every decoder family.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DECODER_FAMILIES, type DecoderFamily } from '../../src/arch/types.js';
import { calibrationTokens } from '../../src/calibration/tokens.js';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { prune } from '../../src/pruning/engine.js';
import { planPrune } from '../../src/pruning/plan.js';
import { pruneCheckpoint } from '../../src/pruning/pruneCheckpoint.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { buildCheckpoint, sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { worstLogitDiff } from '../helpers/graphVsReference.js';
import { tensorBytes, tensorValues } from '../helpers/rewrite.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-hidden-');
const IDS = Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % 200);
const sessions: LmSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

/** The fixture's shape (test/fixtures/checkpoints.ts): hidden 32, MLP 96, 4 layers, 4 query heads and 2 key/value heads of 8. */
const [H, I, L, Q, KV] = [32, 96, 4, 4 * 8, 2 * 8];

async function fixture(name: string, family: DecoderFamily = 'llama', config: Record<string, unknown> = {}, seed = 21): Promise<string> {
  const out = join(dir, name);
  await buildCheckpoint(family, out, { seed, config });
  return out;
}

async function shapes(dirName: string): Promise<Map<string, number[]>> {
  const ckpt = await CheckpointTensors.open(dirName);
  try {
    return new Map(ckpt.infos().map((t) => [t.name, [...t.shape]]));
  } finally {
    await ckpt.close();
  }
}

/** Indices of the k largest, ties to the lower index, ascending. */
const best = (scores: number[], k: number) =>
  scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);

/** Tensors reading the stream (hidden = their columns) and writing it (hidden = their rows or entries). */
const readsStream = (n: string) => /(embed_tokens|lm_head|[qkv]_proj|gate_proj|up_proj)\.weight$/.test(n);
const writesStream = (n: string) => /(o_proj|down_proj)\.(weight|bias)$|layernorm\.weight$|model\.norm\.weight$/.test(n);

/** Every child tensor is the parent's, with only the kept channels on its hidden axis; the rest byte-equal. */
function expectSlices(p: Map<string, Float32Array>, c: Map<string, Float32Array>, ps: Map<string, number[]>, keep: number[]) {
  expect([...c.keys()].sort()).toEqual([...p.keys()].sort());
  for (const [name, w] of p) {
    const shape = ps.get(name)!;
    let expected: number[];
    if (readsStream(name)) {
      expected = [];
      for (let r = 0; r < shape[0]!; r++) for (const i of keep) expected.push(w[r * shape[1]! + i]!);
    } else if (writesStream(name)) {
      const cols = shape.length === 2 ? shape[1]! : 1;
      expected = keep.flatMap((i) => Array.from(w.subarray(i * cols, (i + 1) * cols)));
    } else expected = Array.from(w);
    // The first differing index, not the arrays: a failure's diff of a million values would not finish.
    const got = c.get(name)!;
    expect(got.length, name).toBe(expected.length);
    expect(
      expected.findIndex((v, i) => !Object.is(v, got[i])),
      name,
    ).toBe(-1);
  }
}

/** Parameters of the fixture's llama with hidden size h, by hand: every matrix has hidden on one side. */
const llamaParams = (h: number, V: number, tied: boolean, biases = false) =>
  V * h * (tied ? 1 : 2) + L * (Q * h + 2 * KV * h + h * Q + 3 * I * h + 2 * h + (biases ? Q + 2 * KV + h + 2 * I + h : 0)) + h;

describe('hidden-channel pruning: plan', () => {
  it('parameters: the new config counted by hand; hidden_size and an explicit head_dim written', () => {
    const config = { ...JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) } as Record<string, unknown>;
    // The shared model: 6 layers, hidden 192, 6 heads of 32, MLP 512, 32,000 tokens, tied.
    const plan = planPrune(config, parseRecipe({ method: 'hidden', pruningFraction: 0.2 }));
    // floor(0.2 × 192) = 38 channels go.
    expect(plan.config).toMatchObject({ hidden_size: 154, head_dim: 32 });
    const count = (h: number) => 32000 * h + 6 * (4 * 192 * h + 3 * 512 * h + 2 * h) + h;
    expect(plan.parameters.before.total).toBe(count(192));
    expect(plan.parameters.after.total).toBe(count(154));
    expect(planPrune(config, parseRecipe({ method: 'hidden', hiddenSize: 100 })).parameters.after.total).toBe(count(100));
    // The summary says what this method costs the normalisation.
    const shared = planPrune(config, parseRecipe({ method: 'hidden', hiddenSize: 100 }));
    expect(shared.changes.map((c) => c.field)).toEqual(['head_dim', 'hidden_size']);
  });

  it('refuses what it cannot do, naming the field', () => {
    const shared = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
    // 0.004 × 192 = 0.77 rounds down to no channel: refused, not silently a copy.
    expect(() => planPrune(shared, parseRecipe({ method: 'hidden', pruningFraction: 0.004 }))).toThrow(
      /recipe\.pruningFraction: removes no channel/,
    );
    expect(() => planPrune(shared, parseRecipe({ method: 'hidden', hiddenSize: 193 }))).toThrow(
      /recipe\.hiddenSize: must not exceed .* 192/,
    );
    expect(() => parseRecipe({ method: 'hidden', criterion: 'activation', pruningFraction: 0.2 })).toThrow(/recipe\.calibration/);
    expect(() => parseRecipe({ method: 'hidden', pruningFraction: 0.2, hiddenSize: 100 })).toThrow(/recipe\.pruningFraction/);
    expect(() => parseRecipe({ method: 'hidden' })).toThrow(/recipe\.pruningFraction/);
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
    expect(() => planPrune(bert, parseRecipe({ method: 'hidden', pruningFraction: 0.5 }))).toThrow(/recipe\.method/);
    // A multimodal Gemma-3: its projector writes into the text hidden size.
    const text = { ...shared, model_type: 'gemma3_text', head_dim: 32 };
    const multimodal = { model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'], text_config: text };
    expect(() => planPrune(multimodal, parseRecipe({ method: 'hidden', pruningFraction: 0.5 }))).toThrow(/recipe\.method: .*multimodal/);
  });
});

describe('hidden-channel pruning: what is written', () => {
  it('removing 0 channels gives back identical tensor bytes and config', async () => {
    const parent = await fixture('zero');
    const out = await prune(parent, join(dir, 'zero-out'), parseRecipe({ method: 'hidden', pruningFraction: 0 }));
    const a = await tensorBytes(parent);
    const b = await tensorBytes(out.outDir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [n, bytes] of b) expect(bytes.equals(a.get(n)!), n).toBe(true);
    expect(JSON.parse(readFileSync(join(out.outDir, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(parent, 'config.json'), 'utf8')),
    );
  });

  it.each([
    ['untied, with o/down_proj biases', { tie_word_embeddings: false, attention_bias: true, mlp_bias: true }],
    ['tied', { tie_word_embeddings: true }],
  ] as const)('magnitude (%s): the kept channels are the top-k of the L2 norm of the weights each owns', async (label, config) => {
    const parent = await fixture(`mag-${label.split(',')[0]}`, 'llama', config);
    const out = await prune(parent, join(dir, `mag-${label.split(',')[0]}-out`), parseRecipe({ method: 'hidden', pruningFraction: 0.25 }));
    const p = await tensorValues(parent);
    const ps = await shapes(parent);
    // Σ w² of the channel's column in every tensor reading the stream and its row in every matrix writing it.
    const sq = new Array<number>(H).fill(0);
    for (const [name, w] of p) {
      const [rows, cols] = ps.get(name)!;
      if (readsStream(name)) for (let r = 0; r < rows!; r++) for (let i = 0; i < H; i++) sq[i]! += w[r * H + i]! ** 2;
      else if (/(o_proj|down_proj)\.weight$/.test(name))
        for (let i = 0; i < H; i++) for (let j = 0; j < cols!; j++) sq[i]! += w[i * cols! + j]! ** 2;
    }
    const keep = best(sq.map(Math.sqrt), 24);
    const c = await tensorValues(out.outDir);
    expectSlices(p, c, ps, keep);
    // Parameters: the new config by hand = the plan = what the files hold, counted here.
    const V = ps.get('model.embed_tokens.weight')![0]!;
    const written = [...c.values()].reduce((a, t) => a + t.length, 0);
    expect(written).toBe(llamaParams(24, V, config.tie_word_embeddings, 'mlp_bias' in config));
    expect(out.plan.parameters.after.total).toBe(written);
    expect(out.parameters).toBe(written);
    expect(out.plan.config).toMatchObject({ hidden_size: 24, head_dim: 8 });
    expect(out.recipeFile.result).toMatchObject({ hidden_channels_kept: 24, hidden_channels_removed: 8 });
  });

  it('activation: the kept channels are the top-k of Minitron’s F_emb over every block’s norm outputs (mean over each 256-token sequence, L2 over sequences, summed over norms)', async () => {
    const parent = await fixture('activation');
    const calibration = join(sharedDir, 'data', 'kjv-val.txt');
    const samples = 600; // three sequences: 256, 256, 88
    const work = join(dir, 'activation-work');
    const out = await pruneCheckpoint(
      parent,
      join(dir, 'activation-out'),
      parseRecipe({ method: 'hidden', criterion: 'activation', hiddenSize: 20, calibration, samples }),
      { calibration: { cacheDir: join(work, 'cache'), tmp: work, threads: 1 } },
    );
    // The norms' outputs from the parent's own activation graph, aggregated here.
    const graph = await exportOnnx(parent, join(dir, 'activation-graph'), { activations: true, outputs: [] });
    const s = await LmSession.open(graph.modelPath, { threads: 1 });
    sessions.push(s);
    const config = JSON.parse(readFileSync(join(parent, 'config.json'), 'utf8')) as Record<string, unknown>;
    const tokens = calibrationTokens(parent, config, calibration, samples);
    expect(tokens.length).toBe(samples);
    const taps = [0, 1, 2, 3].flatMap((l) => [`attn_in_${l}`, `mlp_norm_${l}`]);
    const perNorm = new Map(taps.map((t) => [t, new Array<number>(H).fill(0)]));
    for (let start = 0; start < tokens.length; start += 256) {
      const ids = tokens.slice(start, start + 256);
      const res = await s.run([ids], taps);
      for (const t of taps) {
        const y = res[t]!.data as Float32Array;
        for (let i = 0; i < H; i++) {
          let mean = 0;
          for (let k = 0; k < ids.length; k++) mean += Math.abs(y[k * H + i]!);
          perNorm.get(t)![i]! += (mean / ids.length) ** 2;
        }
      }
    }
    const F = Array.from({ length: H }, (_, i) => taps.reduce((a, t) => a + Math.sqrt(perNorm.get(t)![i]!), 0));
    const keep = best(F, 20);
    expectSlices(await tensorValues(parent), await tensorValues(out.outDir), await shapes(parent), keep);
    // The check can fail: the weights' criterion keeps other channels here.
    const byWeights = await prune(parent, join(dir, 'activation-vs-magnitude'), parseRecipe({ method: 'hidden', hiddenSize: 20 }));
    const c = await tensorValues(byWeights.outDir);
    const e = await tensorValues(out.outDir);
    expect(Array.from(c.get('model.norm.weight')!)).not.toEqual(Array.from(e.get('model.norm.weight')!));
  });
});

describe('hidden-channel pruning: the child runs', () => {
  // head_dim 16: onnxruntime's GroupQueryAttention; 8: the plain-operator attention. Each family
  // once, the two alternating: what changes here (the norms and the projections' hidden side) is
  // built the same way on both attention paths, which attention.test.ts covers for every family.
  const cases = DECODER_FAMILIES.map((f, i) => [f, i % 2 === 0 ? 16 : 8] as const);
  it.each(cases)(
    '%s, head_dim %i, a quarter of the channels: the ONNX graph’s logits equal the reference forward pass',
    async (family, headDim) => {
      // A 1,024-token vocabulary: the ids (< 200) are fed directly, the embedding and head lose the
      // same channels by the same slicing at any number of rows, and a graph is built and checked the
      // same way whatever the vocabulary (test/onnx/export.test.ts checks every family's graph with
      // its tokenizer's full one); the Gemma tokenizer's 262,144 rows cost most of these cases' time.
      const parent = await fixture(`${family}-${headDim}`, family, { head_dim: headDim, vocab_size: 1024 }, 7);
      const out = await prune(parent, join(dir, `${family}-${headDim}-out`), parseRecipe({ method: 'hidden', pruningFraction: 0.25 }));
      expect(out.plan.config).toMatchObject({ hidden_size: 24, head_dim: headDim });
      // test/onnx/export.test.ts's tolerance for the fixtures.
      expect(await worstLogitDiff(out.outDir, join(dir, `${family}-${headDim}-onnx`), IDS)).toBeLessThan(1e-4);
    },
  );
});
