import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { perplexity } from '../../src/eval/perplexity.js';
import { loadTokenizer } from '../../src/eval/tokenizer.js';
import { readCheckpointFolder } from '../../src/formats/checkpoint/folder.js';
import { fromFloat32, toFloat32 } from '../../src/formats/safetensors/dtypes.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { perplexityWithout, resolveRecipe } from '../../src/pruning/calibrate.js';
import { prune } from '../../src/pruning/engine.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { sparsifyWanda } from '../../src/pruning/sparsity.js';
import { buildCheckpoint, sharedDir } from '../fixtures/checkpoints.js';
import { rewriteCheckpoint } from '../helpers/rewrite.js';
import { tempDir } from '../helpers/tmp.js';

const calibrationText = join(sharedDir, 'data', 'kjv-train.txt');

describe('depth criteria', () => {
  it('a block with zero o_proj and down_proj has influence 0 and no perplexity cost: both criteria pick it', async () => {
    const tmp = tempDir();
    const base = join(tmp, 'base');
    await buildCheckpoint('llama', base, { seed: 11, config: { num_hidden_layers: 5 } });
    const dead = join(tmp, 'dead');
    await rewriteCheckpoint(base, dead, (name, values) => {
      if (/layers\.2\.(self_attn\.o_proj|mlp\.down_proj)\.weight$/.test(name)) values.fill(0);
    });
    const o = { cacheDir: join(tmp, 'cache'), threads: 2, tmp: join(tmp, 'work') };
    const bi = await resolveRecipe(
      dead,
      parseRecipe({ method: 'depth', criterion: 'block-influence', count: 1, calibration: calibrationText, samples: 256 }),
      o,
    );
    expect(bi.recipe).toMatchObject({ layers: [2] });
    const scores = (bi.recipe as { scores: number[] }).scores;
    expect(scores[2]).toBeCloseTo(0, 6);
    expect(Math.min(...scores.filter((_, l) => l !== 2))).toBeGreaterThan(0);

    const without = await perplexityWithout(dead, calibrationText, 256, o);
    const { modelPath } = await exportOnnx(dead, join(tmp, 'dead-onnx'));
    const session = await LmSession.open(modelPath, { threads: 2 });
    const [full] = await perplexity(
      { session, tokenizer: loadTokenizer(dead, (await readCheckpointFolder(dead)).config), maxPositions: 512 },
      { data: calibrationText, limit: 256 },
    );
    await session.release();
    // Removing the dead block changes no logit, so the perplexity is the full model's.
    expect(without[2]).toBeCloseTo(full!.value, 4);
    const ppl = await resolveRecipe(
      dead,
      parseRecipe({ method: 'depth', criterion: 'perplexity', count: 1, calibration: calibrationText, samples: 256 }),
      o,
    );
    const chosen = (ppl.recipe as { layers: number[] }).layers[0]!;
    expect(without[chosen]).toBe(Math.min(...without));
  }, 120_000);

  it('a criterion needs count and calibration, and names the field when they are missing', () => {
    expect(() => parseRecipe({ method: 'depth', criterion: 'block-influence', count: 2 })).toThrow(/recipe\.calibration: is required/);
    expect(() => parseRecipe({ method: 'sparsity', criterion: 'wanda', sparsity: 0.5 })).toThrow(
      /recipe\.calibration: is required for Wanda/,
    );
  });
});

describe('Wanda', () => {
  const rows = 3;
  const cols = 8;
  const w = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 7) % 11) - 5 + 0.5);

  it('zeroes the lowest |W|·‖X‖ of each row; a column with a large input norm survives', () => {
    const norms = Float64Array.from({ length: cols }, (_, j) => (j === 0 ? 1000 : 1));
    const out = toFloat32(sparsifyWanda(fromFloat32(w.slice(), 'F32'), 'F32', 4, rows, cols, norms, { perRow: 4 }), 'F32');
    for (let r = 0; r < rows; r++) {
      const row = Array.from(out.subarray(r * cols, (r + 1) * cols));
      expect(row.filter((v) => v === 0)).toHaveLength(4);
      expect(row[0]).not.toBe(0);
      // Of the other columns, the kept ones have the largest |W| (their norms are equal).
      const orig = Array.from(w.subarray(r * cols + 1, (r + 1) * cols));
      const keptMin = Math.min(...orig.filter((_, j) => row[j + 1] !== 0).map(Math.abs));
      const droppedMax = Math.max(...orig.filter((_, j) => row[j + 1] === 0).map(Math.abs));
      expect(keptMin).toBeGreaterThanOrEqual(droppedMax);
    }
  });

  it('2:4 leaves exactly two non-zeros in every group of four inputs', () => {
    const norms = Float64Array.from({ length: cols }, (_, j) => j + 1);
    const out = toFloat32(sparsifyWanda(fromFloat32(w.slice(), 'F32'), 'F32', 4, rows, cols, norms, { n: 2, m: 4 }), 'F32');
    for (let g = 0; g < rows * cols; g += 4) expect(Array.from(out.subarray(g, g + 4)).filter((v) => v !== 0)).toHaveLength(2);
  });
});

describe('activation-aware MLP width', () => {
  it('neurons whose down_proj column is zero score 0, go first, and the logits do not change', async () => {
    const tmp = tempDir();
    const base = join(tmp, 'base');
    const config = await buildCheckpoint('llama', base, { seed: 5 });
    const I = Number(config.intermediate_size);
    const H = Number(config.hidden_size);
    // A quarter of each layer's neurons write nothing: their down_proj columns are zero.
    const dead = new Set(Array.from({ length: I / 4 }, (_, i) => i * 4 + 1));
    const zeroed = join(tmp, 'zeroed');
    await rewriteCheckpoint(base, zeroed, (name, values) => {
      if (!/mlp\.down_proj\.weight$/.test(name)) return;
      for (let r = 0; r < H; r++) for (const j of dead) values[r * I + j] = 0;
    });
    const o = { cacheDir: join(tmp, 'cache'), threads: 2, tmp: join(tmp, 'work') };
    const recipe = parseRecipe({
      method: 'mlp-width',
      criterion: 'activation',
      pruningFraction: 0.25,
      calibration: calibrationText,
      samples: 256,
    });
    const resolved = await resolveRecipe(zeroed, recipe, o);
    const out = join(tmp, 'pruned');
    const result = await prune(zeroed, out, resolved.recipe, { inputNorms: resolved.inputNorms });
    expect(result.plan.method === 'mlp-width' && result.plan.keptNeurons).toBe(I - dead.size);
    const ids = [1, 450, 3186, 310, 278, 3186, 471, 22, 9, 300, 42, 17];
    const logits = async (dir: string, name: string) => {
      const s = await LmSession.open((await exportOnnx(dir, join(tmp, name))).modelPath, { threads: 2 });
      const l = (await s.run([ids], ['logits'])).logits!.data as Float32Array;
      await s.release();
      return l;
    };
    const before = await logits(zeroed, 'zeroed-onnx');
    const after = await logits(out, 'pruned-onnx');
    let maxDiff = 0;
    for (let i = 0; i < before.length; i++) maxDiff = Math.max(maxDiff, Math.abs(before[i]! - after[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    // MAW looks at gate and up only (intact here), so it cuts live neurons and the logits move.
    const maw = join(tmp, 'maw');
    await prune(zeroed, maw, parseRecipe({ method: 'mlp-width', pruningFraction: 0.25 }));
    const mawLogits = await logits(maw, 'maw-onnx');
    let mawDiff = 0;
    for (let i = 0; i < before.length; i++) mawDiff = Math.max(mawDiff, Math.abs(before[i]! - mawLogits[i]!));
    expect(mawDiff).toBeGreaterThan(1e-3);
  }, 120_000);

  it('needs a calibration file, and only it takes one', () => {
    expect(() => parseRecipe({ method: 'mlp-width', criterion: 'activation', pruningFraction: 0.2 })).toThrow(/recipe\.calibration/);
    expect(() => parseRecipe({ method: 'mlp-width', pruningFraction: 0.2, calibration: calibrationText })).toThrow(
      /only used by the activation/,
    );
  });
});
