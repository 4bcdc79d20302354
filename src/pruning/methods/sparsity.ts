// Sparsity: individual weights of the attention and MLP projections are zeroed (the tensors stay
// dense): by magnitude, per matrix or with one global threshold; by Wanda's |W|·‖X‖ (Sun et al.
// 2023); or by SparseGPT's optimal-brain-surgeon update (Frantar & Alistarh 2023); unstructured or
// N:M. Wanda and SparseGPT compute the pruned weights in their calibration pass, block by block on
// the already-pruned model as their references do; the engine writes what that pass computed.
import { readFile } from 'node:fs/promises';
import { expectedTensors } from '../../arch/tensors.js';
import type { ArchConfig } from '../../arch/types.js';
import { BadInputError } from '../../errors.js';
import { DTYPE_BYTES, fromFloat32 } from '../../formats/safetensors/dtypes.js';
import { dampeningOf, nmPattern, type SparsityRecipe, samplesOf } from '../../recipes/schema.js';
import { PROJECTION_WEIGHT } from '../measureSparsity.js';
import { sparseGptWeights } from '../sparsegptWeights.js';
import { magnitudeKeys, sparsifyMatrix, sparsifyNM, sparsifyWanda, ThresholdFinder, wandaPattern, zeroBelow } from '../sparsity.js';
import { wandaInputNorms } from '../wandaNorms.js';
import { ONE_SHOT, type Output, type PruningMethod } from './types.js';

export interface SparsityPlan {
  method: 'sparsity';
  recipe: SparsityRecipe;
  /** Parameters in the matrices it acts on, and how many it will zero at least. */
  sparsity: { targetParameters: number; zeroed: number };
}

const EPS = 1e-9;

export function matrixTargets(arch: ArchConfig): Array<{ name: string; shape: number[] }> {
  return expectedTensors(arch).filter((t) => PROJECTION_WEIGHT.test(t.name));
}

const WHO = { wanda: 'Wanda', sparsegpt: 'SparseGPT' } as const;

export const sparsity: PruningMethod<'sparsity', SparsityPlan> = {
  method: 'sparsity',
  relation: 'SPARSIFIED',
  needsCalibration: (r) => r.criterion === 'wanda' || r.criterion === 'sparsegpt',

  async calibrate(dir, recipe, o) {
    if (recipe.criterion === 'sparsegpt') {
      const resolved = { ...recipe, samples: samplesOf(recipe), dampening: dampeningOf(recipe) };
      const { weights } = await sparseGptWeights(dir, resolved, o);
      return { recipe: resolved, weights };
    }
    // Wanda's pass, sequential as its reference runs it (src/pruning/wandaNorms.ts), keeps the
    // weights it pruned: the engine writes those rather than compute the same masks again.
    const samples = samplesOf(recipe);
    const { inputNorms, tensorFiles } = await wandaInputNorms(dir, recipe, samples, o);
    return { recipe: { ...recipe, samples }, inputNorms, tensorFiles };
  },

  plan(ctx, recipe) {
    const targets = matrixTargets(ctx.arch);
    const total = targets.reduce((a, t) => a + t.shape[0]! * t.shape[1]!, 0);
    const nm = nmPattern(recipe.pattern);
    let zeroed: number;
    if (nm) {
      const bad = targets.find((t) => t.shape[1]! % nm.m !== 0);
      if (bad) throw new BadInputError('recipe.pattern', `${bad.name} has ${bad.shape[1]} inputs, not a multiple of M = ${nm.m}`);
      zeroed = (total / nm.m) * nm.n;
    } else if (recipe.scope === 'global') {
      zeroed = Math.floor(recipe.sparsity! * total + EPS);
    } else {
      zeroed = targets.reduce((a, t) => a + Math.floor(recipe.sparsity! * t.shape[0]! * t.shape[1]! + EPS), 0);
    }
    return { recipe, sparsity: { targetParameters: total, zeroed } };
  },

  async outputs(ctx, plan) {
    const { ckpt, infos, same, calibrated } = ctx;
    const { recipe } = plan;
    const isTarget = (t: { name: string }) => PROJECTION_WEIGHT.test(t.name);
    const targets = infos.filter(isTarget);
    const nm = nmPattern(recipe.pattern);
    const each = (transform: (t: (typeof infos)[number]) => Output['transform']) => ({
      tensors: infos.map((t) => (isTarget(t) ? { ...same(t), transform: transform(t) } : same(t))),
    });
    if (recipe.criterion === 'sparsegpt') {
      const missing = targets.find((t) => !calibrated.weights?.has(t.name));
      if (missing)
        throw new BadInputError('recipe.criterion', `SparseGPT needs its calibration pass first (no pruned weights for ${missing.name})`);
      return each((t) => () => fromFloat32(calibrated.weights!.get(t.name)!, t.dtype));
    }
    if (recipe.criterion === 'wanda') {
      // The weights its calibration pass pruned, when it kept them; else the masks from its norms.
      const files = calibrated.tensorFiles;
      if (files && targets.every((t) => files[t.name])) return each((t) => () => readFile(files[t.name]!));
      const norms = calibrated.inputNorms;
      const missing = targets.find((t) => !norms?.[t.name]);
      if (missing)
        throw new BadInputError(
          'recipe.criterion',
          `${WHO.wanda} needs calibration input norms (none for ${missing.name}); resolve the recipe with its calibration file first`,
        );
      return each((t) => {
        const [rows, cols] = t.shape as [number, number];
        const pattern = wandaPattern(recipe.sparsity, nm, cols);
        return (b) => sparsifyWanda(b, t.dtype, DTYPE_BYTES[t.dtype], rows, cols, norms![t.name]!, pattern);
      });
    }
    if (nm) return each((t) => (b) => sparsifyNM(b, t.dtype, DTYPE_BYTES[t.dtype], nm.n, nm.m));
    const s = recipe.sparsity!;
    if (recipe.scope === 'per-matrix')
      return each(
        (t) => (b) => sparsifyMatrix(b, t.dtype, DTYPE_BYTES[t.dtype], Math.floor(s * (b.byteLength / DTYPE_BYTES[t.dtype]) + EPS)),
      );
    // Global: one exact threshold over every target matrix, found in two streaming passes.
    const total = targets.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    const k = Math.floor(s * total + EPS);
    const finder = new ThresholdFinder();
    for (const [i, t] of targets.entries()) {
      ctx.signal?.throwIfAborted();
      finder.addHigh(magnitudeKeys(await ckpt.readBytes(t.name), t.dtype));
      ctx.report({ stage: 'scoring', progress: (0.05 * (i + 1)) / targets.length });
    }
    if (k > 0) finder.locateBin(k);
    for (const [i, t] of targets.entries()) {
      ctx.signal?.throwIfAborted();
      if (k > 0) finder.addLow(magnitudeKeys(await ckpt.readBytes(t.name), t.dtype));
      ctx.report({ stage: 'scoring', progress: 0.05 + (0.05 * (i + 1)) / targets.length });
    }
    const threshold = k > 0 ? finder.threshold(k) : { key: 0, ties: 0 };
    // Ties at the threshold go to the earliest elements in write order, which is this order.
    let ties = threshold.ties;
    return each((t) => (b) => {
      ties = zeroBelow(b, magnitudeKeys(b, t.dtype), DTYPE_BYTES[t.dtype], threshold.key, ties);
      return b;
    });
  },

  countsNonZero: true,

  result: (plan, written) => ({
    ...(written.nonZero !== undefined ? { non_zero_in_target_matrices: written.nonZero } : {}),
    target_parameters: plan.sparsity.targetParameters,
  }),

  childNameSuffix(recipe) {
    const pct = (x: number) => String(Math.round(x * 100));
    const suffix = recipe.pattern === 'unstructured' ? `sparse${pct(recipe.sparsity ?? 0)}` : `sparse-${recipe.pattern.replace(':', 'of')}`;
    return recipe.criterion !== 'magnitude' ? `${suffix}-${recipe.criterion}` : suffix;
  },

  hubTag: 'sparsity',

  card(recipe) {
    const ratio =
      recipe.pattern && recipe.pattern !== 'unstructured'
        ? `${recipe.pattern} semi-structured`
        : `${Number(recipe.sparsity) * 100} % unstructured (${recipe.scope ?? 'per-matrix'})`;
    const samples = samplesOf(recipe as { samples?: number });
    const criterion =
      recipe.criterion === 'sparsegpt'
        ? `SparseGPT (Frantar & Alistarh 2023, arXiv:2301.00774): optimal-brain-surgeon update of the remaining weights, layer by layer on ${samples} calibration tokens, λ = ${dampeningOf(recipe as { dampening?: number })}`
        : recipe.criterion === 'wanda'
          ? `Wanda (Sun et al. 2023, arXiv:2306.11695): |W|·‖X‖₂ on ${samples} calibration tokens`
          : String(recipe.criterion ?? 'magnitude');
    return { method: 'sparsification', criterion, ratio };
  },

  limitations: [
    '- The zeros are stored in dense tensors: they save no memory and no time unless a runtime with sparse kernels uses them (only N:M patterns such as 2:4 have hardware support).',
    ONE_SHOT,
  ],

  summary(plan, format) {
    const { targetParameters, zeroed } = plan.sparsity;
    return [
      `zeroed ${format.int(zeroed)} of ${format.int(targetParameters)} projection weights (${((100 * zeroed) / targetParameters).toFixed(2)} %); tensors stay dense, so memory does not shrink`,
    ];
  },
};
