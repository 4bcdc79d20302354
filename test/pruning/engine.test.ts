import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { DECODER_FAMILIES } from '../../src/arch/types.js';
import { BadInputError } from '../../src/errors.js';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { prune } from '../../src/pruning/engine.js';
import { hashFolder } from '../../src/pruning/output.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { buildCheckpoint, sharedModel } from '../fixtures/checkpoints.js';
import { referenceLogits } from '../helpers/reference.js';
import { rewriteCheckpoint, tensorBytes } from '../helpers/rewrite.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-prune-');
const IDS = [1, 450, 3186, 310, 278, 3303, 29892, 322];

/**
 * The first [position, token] whose logits differ (Object.is, as toEqual compares numbers), or
 * null when every one is the same: toEqual's generic deep equality spent ~2 CPU-s on this file's
 * three comparisons of 8 × 32,000 values.
 */
function firstDifference(a: Float64Array[], b: Float64Array[]): [number, number] | null {
  if (a.length !== b.length) return [Math.min(a.length, b.length), -1];
  for (let p = 0; p < a.length; p++) {
    const [x, y] = [a[p]!, b[p]!];
    if (x.length !== y.length) return [p, -1];
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return [p, i];
  }
  return null;
}

describe('the shared model', () => {
  it('40 % MAW keeps intermediate_size 308, inspect agrees with the plan, and runs are byte-identical', async () => {
    const a = await prune(sharedModel, join(dir, 'p40a'), parseRecipe({ method: 'mlp-width', pruningFraction: 0.4 }));
    const b = await prune(sharedModel, join(dir, 'p40b'), parseRecipe({ method: 'mlp-width', pruningFraction: 0.4 }));
    expect(a.plan.config.intermediate_size).toBe(308);
    const report = await inspectCheckpoint(a.outDir);
    expect(report.parameters.agree).toBe(true);
    expect(report.parameters.fromTensors.total).toBe(a.plan.parameters.after.total);
    expect(report.arch.intermediateSize).toBe(308);
    expect(await hashFolder(a.outDir, readdirSync(a.outDir))).toEqual(await hashFolder(b.outDir, readdirSync(b.outDir)));
    const recipe = JSON.parse(readFileSync(join(a.outDir, 'bonsai_recipe.json'), 'utf8'));
    expect(recipe.parent.files['model.safetensors']).toMatch(/^[0-9a-f]{64}$/);
    const ckpt = await CheckpointTensors.open(a.outDir);
    const meta = JSON.parse(ckpt.metadata().bonsai_recipe!);
    expect(meta.recipe).toEqual({ method: 'mlp-width', criterion: 'maw', pruningFraction: 0.4 });
    await ckpt.close();
    // The header, written before the parent was hashed, ends with the parent's real hashes.
    // Every file of the parent's checkpoint, not reference.json (evaluation numbers, not the model).
    const checkpoint = readdirSync(sharedModel).filter((f) => f !== 'reference.json');
    expect(Object.keys(meta.parent_files).sort()).toEqual(checkpoint.sort());
    for (const f of checkpoint)
      expect(meta.parent_files[f]).toBe(
        createHash('sha256')
          .update(readFileSync(join(sharedModel, f)))
          .digest('hex'),
      );
    expect(recipe.parent.files).toEqual(meta.parent_files);
    // The parent's own evaluation numbers do not describe the child.
    expect(existsSync(join(a.outDir, 'reference.json'))).toBe(false);
  });

  it.each([
    ['mlp-width', { method: 'mlp-width', pruningFraction: 0 }],
    ['sparsity', { method: 'sparsity', sparsity: 0 }],
  ])('ratio 0 (%s) gives back bit-identical tensors', async (name, recipe) => {
    const out = await prune(sharedModel, join(dir, `zero-${name}`), parseRecipe(recipe));
    const parent = await tensorBytes(sharedModel);
    const child = await tensorBytes(out.outDir);
    expect([...child.keys()].sort()).toEqual([...parent.keys()].sort());
    for (const [n, b] of child) expect(b.equals(parent.get(n)!), n).toBe(true);
  });
});

describe('exactness (checked with the reference forward pass)', () => {
  it('removing neurons whose down_proj column is zero changes no logit', async () => {
    const base = join(dir, 'base-width');
    await buildCheckpoint('llama', base, { seed: 7 });
    const dead = [3, 10, 11, 40, 41, 42, 80, 95]; // 8 of 96 → pruningFraction 8/96
    const parent = join(dir, 'dead-neurons');
    await rewriteCheckpoint(base, parent, (name, v, shape) => {
      if (/mlp\.(gate|up)_proj\.weight$/.test(name)) for (const r of dead) v.fill(0, r * shape[1]!, (r + 1) * shape[1]!);
      if (/mlp\.down_proj\.weight$/.test(name)) for (let row = 0; row < shape[0]!; row++) for (const c of dead) v[row * shape[1]! + c] = 0;
    });
    const out = await prune(parent, join(dir, 'width-exact'), parseRecipe({ method: 'mlp-width', pruningFraction: 8 / 96 }));
    expect(out.plan.config.intermediate_size).toBe(88);
    expect(firstDifference(await referenceLogits(out.outDir, IDS), await referenceLogits(parent, IDS))).toBeNull();
  });

  it('removing blocks whose o_proj and down_proj are zero changes no logit', async () => {
    const base = join(dir, 'base-depth');
    await buildCheckpoint('llama', base, { seed: 8 });
    const parent = join(dir, 'dead-blocks');
    await rewriteCheckpoint(base, parent, (name, v) => {
      if (/layers\.[12]\.(self_attn\.o_proj|mlp\.down_proj)\.weight$/.test(name)) v.fill(0);
    });
    const out = await prune(parent, join(dir, 'depth-exact'), parseRecipe({ method: 'depth', layers: [1, 2] }));
    expect(readdirSync(out.outDir)).toContain('model.safetensors');
    expect((await inspectCheckpoint(out.outDir)).arch.numLayers).toBe(2);
    expect(firstDifference(await referenceLogits(out.outDir, IDS), await referenceLogits(parent, IDS))).toBeNull();
  });

  it('pruning live neurons does change the logits (the check above can fail)', async () => {
    const base = join(dir, 'base-depth');
    const out = await prune(base, join(dir, 'width-live'), parseRecipe({ method: 'mlp-width', pruningFraction: 0.25 }));
    expect(firstDifference(await referenceLogits(out.outDir, IDS), await referenceLogits(base, IDS))).not.toBeNull();
  });
});

describe('sparsity', () => {
  const zeros = (b: Buffer) => {
    let z = 0;
    for (let i = 0; i < b.length; i += 2) if ((b[i]! | (b[i + 1]! & 0x7f)) === 0) z++;
    return z;
  };
  const isTarget = (n: string) => /(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$/.test(n);

  it('per-matrix 50 %: exactly half of every projection is zero, the rest untouched', async () => {
    const out = await prune(sharedModel, join(dir, 'sp50'), parseRecipe({ method: 'sparsity', sparsity: 0.5 }));
    const parent = await tensorBytes(sharedModel);
    for (const [name, bytes] of await tensorBytes(out.outDir)) {
      if (isTarget(name)) expect(zeros(bytes)).toBe(Math.floor(bytes.length / 2 / 2));
      else expect(bytes.equals(parent.get(name)!)).toBe(true);
    }
    if (out.plan.method !== 'sparsity') throw new Error('a sparsity plan was expected');
    expect(out.nonZero).toBe(out.plan.sparsity.targetParameters - out.plan.sparsity.zeroed);
  });

  it('2:4: two zeros in every group of four inputs, and the largest two kept', async () => {
    const out = await prune(sharedModel, join(dir, 'sp24'), parseRecipe({ method: 'sparsity', pattern: '2:4' }));
    const parent = await tensorBytes(sharedModel);
    const bytes = (await tensorBytes(out.outDir)).get('model.layers.0.mlp.up_proj.weight')!;
    const orig = parent.get('model.layers.0.mlp.up_proj.weight')!;
    for (let g = 0; g < bytes.length; g += 8) {
      expect(zeros(bytes.subarray(g, g + 8))).toBe(2);
      for (let j = g; j < g + 8; j += 2) if (bytes.readUInt16LE(j) !== 0) expect(bytes.readUInt16LE(j)).toBe(orig.readUInt16LE(j));
    }
  });

  it('global 50 %: exactly half of all projection weights, unevenly across matrices', async () => {
    const out = await prune(sharedModel, join(dir, 'spg'), parseRecipe({ method: 'sparsity', sparsity: 0.5, scope: 'global' }));
    let total = 0;
    let zero = 0;
    const perMatrix: number[] = [];
    for (const [name, bytes] of await tensorBytes(out.outDir)) {
      if (!isTarget(name)) continue;
      total += bytes.length / 2;
      zero += zeros(bytes);
      perMatrix.push(zeros(bytes) / (bytes.length / 2));
    }
    expect(zero).toBe(Math.floor(total / 2));
    expect(Math.max(...perMatrix) - Math.min(...perMatrix)).toBeGreaterThan(0.05);
  });
});

describe.each(DECODER_FAMILIES)('%s', (family) => {
  it('width, depth and 2:4 sparsity produce what the plan announced', async () => {
    const parent = join(dir, `fam-${family}`);
    await buildCheckpoint(family, parent, { seed: 11 });
    for (const recipe of [
      { method: 'mlp-width', pruningFraction: 0.5, criterion: 'l2' },
      { method: 'depth', last: 1 },
      { method: 'sparsity', pattern: '2:4' },
    ]) {
      const out = await prune(parent, join(dir, `fam-${family}-${recipe.method}`), parseRecipe(recipe));
      const report = await inspectCheckpoint(out.outDir);
      expect(report.parameters.agree).toBe(true);
      expect(report.parameters.fromTensors.total).toBe(out.plan.parameters.after.total);
    }
  });
});

describe('bad input', () => {
  it('an existing output folder is refused and nothing is written', async () => {
    await expect(prune(sharedModel, dir, parseRecipe({ method: 'depth', last: 1 }))).rejects.toBeInstanceOf(BadInputError);
  });

  it('a layer out of range leaves no folder behind', async () => {
    const out = join(dir, 'never');
    await expect(prune(sharedModel, out, parseRecipe({ method: 'depth', layers: [6] }))).rejects.toThrow(/recipe.layers/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });
});
