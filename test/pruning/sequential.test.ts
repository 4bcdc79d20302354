// Sequential calibration (src/pruning/sequential.ts) on the shared model. The weights a block graph
// is fed must be the ones it computes with (onnxruntime-node once dropped fed weights without a
// word, so SparseGPT calibrated every block on the dense model's activations), and SparseGPT's
// result must be the sequential algorithm's (IST-DASLab/sparsegpt llama.py `llama_sequential`):
// checked against a Float64 reference written here (test/helpers/llamaBlock.ts for the forward
// pass, test/helpers/obs.ts for the OBS pruning), block by block, which the one-shot algorithm
// on the dense activations does not match. Wanda's norms likewise (locuslab/wanda `prune_wanda`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alignPrefix, parseArchitecture } from '../../src/arch/registry.js';
import type { ArchConfig } from '../../src/arch/types.js';
import { sequentialBlocks } from '../../src/calibration/sequential.js';
import { calibrationTokens } from '../../src/calibration/tokens.js';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession, type Outputs } from '../../src/onnx/session.js';
import { parseRecipe, type SparsityRecipe } from '../../src/pruning/recipe.js';
import { sparseGptWeights } from '../../src/pruning/sparsegptWeights.js';
import { wandaInputNorms } from '../../src/pruning/wandaNorms.js';
import { buildCheckpoint, sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { gramOf } from '../helpers/gram.js';
import { type BlockWeights, llamaBlock, llamaDims } from '../helpers/llamaBlock.js';
import { obsPrune } from '../helpers/obs.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('sequential-');
const calibration = join(sharedDir, 'data', 'kjv-train.txt');
const config = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
/** Two windows (256 + 44 tokens), so the window split is checked too. */
const SAMPLES = 300;
const tokens = calibrationTokens(sharedModel, config, calibration, SAMPLES);
const windows = [tokens.slice(0, 256), tokens.slice(256)];
const name = (l: number, proj: string) => `model.layers.${l}.${proj}.weight`;

let ckpt: CheckpointTensors;
let arch: ArchConfig;
/** The full graph's activations (dense model) for each window. */
const full: Outputs[] = [];

beforeAll(async () => {
  ckpt = await CheckpointTensors.open(sharedModel);
  arch = alignPrefix(parseArchitecture(config, join(sharedModel, 'config.json')), ckpt.names());
  const { modelPath } = await exportOnnx(sharedModel, join(tmp, 'full'), { activations: true, outputs: [] });
  const session = await LmSession.open(modelPath, { threads: 2 });
  try {
    for (const ids of windows) full.push(await session.run([ids], ['hidden_in_0', 'hidden_out_0', 'attn_in_1', 'hidden_out_5']));
  } finally {
    await session.release();
  }
}, 60_000);

afterAll(async () => {
  await ckpt.close();
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => maxAbsDiff(a, new Float64Array(a.length));

describe('a block graph', () => {
  it('computes with the weights it is fed: the full graph’s hidden_out_0 with the dense ones, another with down_proj zeroed', async () => {
    const { modelPath } = await exportOnnx(sharedModel, join(tmp, 'block0'), { block: 0 });
    const session = await LmSession.open(modelPath, { threads: 2 });
    try {
      const dense: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
      for (const proj of [
        'self_attn.q_proj',
        'self_attn.k_proj',
        'self_attn.v_proj',
        'self_attn.o_proj',
        'mlp.gate_proj',
        'mlp.up_proj',
        'mlp.down_proj',
      ])
        dense[name(0, proj)] = { data: await ckpt.readFloat32(name(0, proj)), dims: ckpt.info(name(0, proj)).shape };
      const hidden_in = { data: full[0]!.hidden_in_0!.data as Float32Array, dims: [1, 256, arch.hiddenSize] };
      const out = (feeds: typeof dense) => session.runInputs({}, ['hidden_out_0'], { ...feeds, hidden_in });
      const expected = full[0]!.hidden_out_0!.data as Float32Array;
      const withDense = (await out(dense)).hidden_out_0!.data as Float32Array;
      expect(maxAbsDiff(withDense, expected)).toBeLessThan(1e-4 * maxAbs(expected));
      const down = dense[name(0, 'mlp.down_proj')]!;
      const zeroed = (await out({ ...dense, [name(0, 'mlp.down_proj')]: { data: new Float32Array(down.data.length), dims: down.dims } }))
        .hidden_out_0!.data as Float32Array;
      // Without the MLP's contribution the block's output moves by far more than rounding.
      expect(maxAbsDiff(zeroed, expected)).toBeGreaterThan(1e-2 * maxAbs(expected));
      // …and a weight it does not take is refused, not dropped.
      await expect(session.runInputs({}, ['hidden_out_0'], { ...dense, hidden_in, 'model.embed_tokens.weight': down })).rejects.toThrow(
        /has no input model\.embed_tokens\.weight/,
      );
    } finally {
      await session.release();
    }
  }, 60_000);

  it('a whole-model graph refuses a weight feed instead of dropping it', async () => {
    const { modelPath } = await exportOnnx(sharedModel, join(tmp, 'full-refuse'), { activations: true, outputs: [] });
    const session = await LmSession.open(modelPath, { threads: 2 });
    try {
      const w = name(0, 'mlp.down_proj');
      const feed = { [w]: { data: new Float32Array(arch.hiddenSize * arch.intermediateSize), dims: ckpt.info(w).shape } };
      await expect(session.run([windows[1]!], ['hidden_out_0'], undefined, feed)).rejects.toThrow(
        /has no input model\.layers\.0\.mlp\.down_proj/,
      );
    } finally {
      await session.release();
    }
  }, 60_000);
});

describe('sequentialBlocks', () => {
  const o = { cacheDir: join(tmp, 'cache'), threads: 2 };
  /** Runs every block, zeroing block 0's down_proj or not; returns attn_in_1 per window and the last block's output. */
  async function run(zeroDown: boolean) {
    const attnIn1: Float32Array[] = [];
    const last = await sequentialBlocks(ckpt, arch, tokens, { ...o, tmp: join(tmp, `seq-${zeroDown}`) }, 'test', (l, dense) => ({
      taps: [`attn_in_${l}`],
      observe(out) {
        if (l === 1) attnIn1.push(out.attn_in_1!.data as Float32Array);
      },
      async prune() {
        const w = dense.get(name(l, 'mlp.down_proj'))!;
        return new Map(zeroDown && l === 0 ? [[name(0, 'mlp.down_proj'), new Float32Array(w.length)]] : []);
      },
    }));
    return { attnIn1, last };
  }

  it('with nothing pruned gives the full graph’s activations; a zeroed layers.0.mlp.down_proj changes block 1’s inputs', async () => {
    const dense = await run(false);
    windows.forEach((_, i) => {
      const a = full[i]!.attn_in_1!.data as Float32Array;
      expect(maxAbsDiff(dense.attnIn1[i]!, a), `window ${i} attn_in_1`).toBeLessThan(1e-4 * maxAbs(a));
      const h = full[i]!.hidden_out_5!.data as Float32Array;
      expect(maxAbsDiff(dense.last[i]!, h), `window ${i} hidden_out_5`).toBeLessThan(1e-4 * maxAbs(h));
    });
    const zeroed = await run(true);
    for (const i of [0, 1]) expect(maxAbsDiff(zeroed.attnIn1[i]!, dense.attnIn1[i]!)).toBeGreaterThan(1e-2 * maxAbs(dense.attnIn1[i]!));
  }, 60_000);
});

describe('block graphs of every decoder family', () => {
  // mistral: a sliding window; qwen2: q/k/v biases; qwen3: q/k norms; gemma2: sandwich norms,
  // soft-capping, √hidden embedding scale; gemma3: local RoPE base on alternate layers.
  it.each(['mistral', 'qwen2', 'qwen3', 'gemma2', 'gemma3'] as const)(
    '%s: chained over two windows with nothing pruned, they give the whole-model graph’s last hidden state',
    async (family) => {
      const dir = join(tmp, `fixture-${family}`);
      // A small vocabulary: the ids are fed directly, and a 262k-row embedding only costs time.
      const cfg = await buildCheckpoint(family, dir, { seed: 7, config: { vocab_size: 1024 } });
      const ids = Array.from({ length: 300 }, (_, i) => (i * 7919 + 3) % Number(cfg.vocab_size));
      const fixture = await CheckpointTensors.open(dir);
      try {
        const a = alignPrefix(parseArchitecture(cfg, join(dir, 'config.json')), fixture.names());
        const last = `hidden_out_${a.numLayers - 1}`;
        const { modelPath } = await exportOnnx(dir, join(tmp, `fixture-${family}-full`), { activations: true, outputs: [] });
        const session = await LmSession.open(modelPath, { threads: 2 });
        const expected: Float32Array[] = [];
        try {
          for (const w of [ids.slice(0, 256), ids.slice(256)]) expected.push((await session.run([w], [last]))[last]!.data as Float32Array);
        } finally {
          await session.release();
        }
        const o = { cacheDir: join(tmp, 'cache'), threads: 2, tmp: join(tmp, `fixture-${family}-seq`) };
        const got = await sequentialBlocks(fixture, a, ids, o, 'test', () => ({ taps: [], observe() {}, prune: async () => new Map() }));
        expected.forEach((e, i) => {
          expect(maxAbsDiff(got[i]!, e), `window ${i}`).toBeLessThan(1e-4 * maxAbs(e));
        });
      } finally {
        await fixture.close();
      }
    },
    60_000,
  );
});

/** Round-to-nearest-even to bfloat16 (the shared model's dtype), through FP32 as the engine stores it. */
function bf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const bits = u[0]!;
  u[0] = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  return f[0]!;
}

const PROJ = {
  q: ['self_attn.q_proj', 'attnIn'],
  k: ['self_attn.k_proj', 'attnIn'],
  v: ['self_attn.v_proj', 'attnIn'],
  o: ['self_attn.o_proj', 'oIn'],
  gate: ['mlp.gate_proj', 'mlpNorm'],
  up: ['mlp.up_proj', 'mlpNorm'],
  down: ['mlp.down_proj', 'mlpIn'],
} as const;

/** ‖a − b‖ / ‖b‖. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

/**
 * Blocks checked against the reference: block 0, and block 1, the first fed by a pruned block (each
 * further block adds ~2 s, most of it the reference OBS pruning of down_proj).
 */
const CHECKED = 2;

/** XᵀX of the rows (test/helpers/gram.ts). */
function gramOfRows(rows: Float64Array[]): Float64Array {
  const n = rows[0]!.length;
  const x = new Float64Array(rows.length * n);
  for (const [i, r] of rows.entries()) x.set(r, i * n);
  return gramOf(x, rows.length, n);
}

describe('SparseGPT is sequential', () => {
  it('2:4: blocks 0 and 1 match a Float64 sequential reference (masks ≥ 99.9 %, weights within 1e-3), and block 1 not the one-shot one', async () => {
    const recipe = parseRecipe({
      method: 'sparsity',
      criterion: 'sparsegpt',
      pattern: '2:4',
      calibration,
      samples: SAMPLES,
    }) as SparsityRecipe;
    const { weights } = await sparseGptWeights(
      sharedModel,
      { ...recipe, dampening: 0.01 },
      { cacheDir: join(tmp, 'cache'), threads: 2, tmp: join(tmp, 'sgpt') },
    );
    const d = llamaDims(arch);
    const emb = await ckpt.readFloat32('model.embed_tokens.weight');
    const H = arch.hiddenSize;
    const embedded = () => windows.map((ids) => ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H))));
    let seq: Float64Array<ArrayBufferLike>[][] = embedded();
    /** Block 1's inputs in the dense model: block 0's dense output (the one-shot algorithm's). */
    let denseIn1: Float64Array<ArrayBufferLike>[][] = [];
    const report: string[] = [];
    for (let l = 0; l < CHECKED; l++) {
      const w: BlockWeights = {
        input_layernorm: await ckpt.readFloat32(`model.layers.${l}.input_layernorm.weight`),
        post_attention_layernorm: await ckpt.readFloat32(`model.layers.${l}.post_attention_layernorm.weight`),
      };
      for (const [short, [proj]] of Object.entries(PROJ)) w[short] = await ckpt.readFloat32(name(l, proj));
      const actsSeq = seq.map((h) => llamaBlock(h, w, d));
      const actsDense = l === 1 ? denseIn1.map((h) => llamaBlock(h, w, d)) : [];
      const grams = new Map<string, Float64Array>();
      const gramFor = (acts: typeof actsSeq, tap: (typeof PROJ)[keyof typeof PROJ][1], key: string) => {
        if (!grams.has(key)) grams.set(key, gramOfRows(acts.flatMap((a) => a[tap])));
        return grams.get(key)!;
      };
      const pruned: BlockWeights = { ...w };
      let agreeSeq = 0;
      let total = 0;
      let agreeOneShot = 0;
      let totalOneShot = 0;
      let worst = 0;
      for (const [short, [proj, tap]] of Object.entries(PROJ)) {
        const [rows, cols] = ckpt.info(name(l, proj)).shape as [number, number];
        const o = { nm: { n: 2, m: 4 }, dampening: 0.01, blockSize: 128 };
        const ref = obsPrune(w[short]!, rows, cols, gramFor(actsSeq, tap, tap), o).map(bf16);
        const got = weights.get(name(l, proj))!;
        for (let i = 0; i < got.length; i++) if ((got[i] === 0) === (ref[i] === 0)) agreeSeq++;
        total += got.length;
        // The one-shot algorithm (Hessians of the dense model's activations) in block 1, down_proj left out for time.
        if (l === 1 && short !== 'down') {
          const oneShot = obsPrune(w[short]!, rows, cols, gramFor(actsDense, tap, `dense-${tap}`), o);
          for (let i = 0; i < got.length; i++) if ((got[i] === 0) === (oneShot[i] === 0)) agreeOneShot++;
          totalOneShot += got.length;
        }
        // Weights: ‖Ŵ − Ŵ_ref‖ / ‖Ŵ_ref‖ (bf16 keeps 8 bits; a flipped mask entry moves its row's later updates).
        worst = Math.max(worst, relativeError(got, ref));
        pruned[short] = ref;
      }
      const oneShotShare = agreeOneShot / totalOneShot;
      report.push(
        `block ${l}: mask agreement ${(agreeSeq / total).toFixed(5)} with the sequential reference${l === 1 ? `, ${oneShotShare.toFixed(5)} with the one-shot one` : ''}; relative weight error ${worst.toExponential(2)}`,
      );
      seq = actsSeq.map((_, i) => llamaBlock(seq[i]!, pruned, d).out);
      if (l === 0) denseIn1 = actsSeq.map((a) => a.out);
      expect(agreeSeq / total, report.at(-1)).toBeGreaterThanOrEqual(0.999);
      expect(worst, report.at(-1)).toBeLessThan(1e-3);
      // From block 1 on the inputs differ: a one-shot result agrees visibly less.
      if (l === 1) expect(oneShotShare, report.at(-1)).toBeLessThan(0.995);
    }
    console.log(report.join('\n'));
  }, 120_000);
});

describe('Wanda is sequential too, as locuslab/wanda prune_wanda runs it', () => {
  it('2:4: block 1’s input norms are those after a pruned block 0 (Float64 reference), not the dense model’s', async () => {
    const recipe = parseRecipe({ method: 'sparsity', criterion: 'wanda', pattern: '2:4', calibration, samples: SAMPLES }) as SparsityRecipe;
    const { inputNorms } = await wandaInputNorms(sharedModel, recipe, SAMPLES, {
      cacheDir: join(tmp, 'cache'),
      threads: 2,
      tmp: join(tmp, 'wanda'),
    });
    const d = llamaDims(arch);
    const H = arch.hiddenSize;
    const emb = await ckpt.readFloat32('model.embed_tokens.weight');
    const block = async (l: number) => {
      const w: BlockWeights = {
        input_layernorm: await ckpt.readFloat32(`model.layers.${l}.input_layernorm.weight`),
        post_attention_layernorm: await ckpt.readFloat32(`model.layers.${l}.post_attention_layernorm.weight`),
      };
      for (const [short, [proj]] of Object.entries(PROJ)) w[short] = await ckpt.readFloat32(name(l, proj));
      return w;
    };
    const norms = (rows: Float64Array[]) => Float64Array.from(rows[0]!, (_, j) => Math.sqrt(rows.reduce((s, x) => s + x[j]! ** 2, 0)));
    const h0 = windows.map((ids) => ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H))));
    const w0 = await block(0);
    const acts0 = h0.map((h) => llamaBlock(h, w0, d));
    // Wanda 2:4 on block 0: in every group of 4 inputs of a row, the 2 lowest |W_ij|·‖X_j‖ (ties: lower index).
    const pruned0: BlockWeights = { ...w0 };
    for (const [short, [proj, tap]] of Object.entries(PROJ)) {
      const [rows, cols] = ckpt.info(name(0, proj)).shape as [number, number];
      const n = norms(acts0.flatMap((a) => a[tap]));
      const w = Float64Array.from(w0[short]!);
      for (let r = 0; r < rows; r++)
        for (let g = 0; g < cols; g += 4) {
          const score = (j: number) => Math.abs(w[r * cols + g + j]!) * n[g + j]!;
          const order = [0, 1, 2, 3].sort((a, b) => score(a) - score(b) || a - b);
          for (const j of order.slice(0, 2)) w[r * cols + g + j] = 0;
        }
      pruned0[short] = w;
    }
    const w1 = await block(1);
    const sequential = h0.map((h) => llamaBlock(llamaBlock(h, pruned0, d).out, w1, d));
    const dense = acts0.map((a) => llamaBlock(a.out, w1, d));
    for (const [, [proj, tap]] of Object.entries(PROJ)) {
      const got = inputNorms[name(1, proj)]!;
      const want = norms(sequential.flatMap((a) => a[tap]));
      const denseNorms = norms(dense.flatMap((a) => a[tap]));
      expect(relativeError(got, want), `${proj}: against the sequential reference`).toBeLessThan(1e-5);
      expect(relativeError(got, denseNorms), `${proj}: against the dense model’s norms`).toBeGreaterThan(1e-2);
    }
  }, 60_000);
});
