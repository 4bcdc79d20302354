// Sparsity: individual weights of the attention and MLP projections are zeroed (the tensors stay
// dense): by magnitude, per matrix or with one global threshold; by Wanda's |W|·‖X‖ (Sun et al.
// 2023); or by SparseGPT's optimal-brain-surgeon update (Frantar & Alistarh 2023); unstructured or
// N:M. Wanda and SparseGPT compute the pruned weights in their calibration pass, block by block on
// the already-pruned model as their references do; the engine writes what that pass computed.
// Unstructured sparsity is the same in every decoder layer, or OWL's per layer (src/pruning/owl.ts),
// allocated by a pass over the dense model before any criterion runs.
import { readFile } from 'node:fs/promises';
import { expectedTensors } from '../../arch/tensors.js';
import type { ArchConfig } from '../../arch/types.js';
import { BadInputError } from '../../errors.js';
import { DTYPE_BYTES, fromFloat32 } from '../../formats/safetensors/dtypes.js';
import {
  allocationOf,
  dampeningOf,
  nmPattern,
  owlLambdaOf,
  owlMOf,
  type SparsityRecipe,
  samplesOf,
  sparsityOfLayer,
} from '../../recipes/schema.js';
import { PROJECTION_WEIGHT } from '../measureSparsity.js';
import { layerOutlierRatios, owlSparsities } from '../owl.js';
import { sparseGptWeights } from '../sparsegptWeights.js';
import { magnitudeKeys, sparsifyMatrix, sparsifyNM, sparsifyWanda, ThresholdFinder, wandaPattern, zeroBelow } from '../sparsity.js';
import { wandaInputNorms } from '../wandaNorms.js';
import { percentLabel } from './percent.js';
import { type CalibrationContext, ONE_SHOT, type Output, type PruningMethod } from './types.js';

export interface SparsityPlan {
  method: 'sparsity';
  recipe: SparsityRecipe;
  /**
   * Parameters in the matrices it acts on, and how many it will zero at least; with OWL, each
   * decoder layer's sparsity once allocated (until then the plan is decided when the job runs).
   */
  sparsity: { targetParameters: number; zeroed: number; layerSparsity?: number[] };
}

const EPS = 1e-9;

export function matrixTargets(arch: ArchConfig): Array<{ name: string; shape: number[] }> {
  return expectedTensors(arch).filter((t) => PROJECTION_WEIGHT.test(t.name));
}

/** The decoder layer a projection belongs to (`…layers.<n>.…`). */
function layerOf(name: string): number {
  const m = /(?:^|\.)layers\.(\d+)\./.exec(name);
  if (!m) throw new Error(`${name} is not in a decoder layer`);
  return Number(m[1]);
}

/**
 * OWL's pass: each layer's outlier ratio over the dense model, then its sparsity. Recorded in the
 * recipe with the hyperparameters it ran with, so the record replays without calibration.
 */
async function allocateOwl(dir: string, recipe: SparsityRecipe, o: CalibrationContext): Promise<SparsityRecipe> {
  const samples = samplesOf(recipe);
  const owlM = owlMOf(recipe);
  const owlLambda = owlLambdaOf(recipe);
  const { ratios } = await layerOutlierRatios(dir, recipe.calibration!, samples, owlM, o);
  return { ...recipe, samples, owlM, owlLambda, layerSparsity: owlSparsities(ratios, recipe.sparsity!, owlLambda) };
}

const WHO = { wanda: 'Wanda', sparsegpt: 'SparseGPT' } as const;

/** The card's words for OWL's allocation: its hyperparameters and every layer's sparsity. */
function owlText(recipe: Record<string, unknown>): string {
  if (recipe.allocation !== 'owl') return '';
  const m = owlMOf(recipe as { owlM?: number });
  const lambda = owlLambdaOf(recipe as { owlLambda?: number });
  const head = `, per layer by OWL (Yin et al. 2023, arXiv:2310.05175: outliers above ${m} × the layer's mean Wanda score, λ = ${lambda})`;
  const layers = recipe.layerSparsity;
  if (!Array.isArray(layers)) return head;
  return `${head}: ${layers.map((x, l) => `layer ${l} ${(Number(x) * 100).toFixed(2)} %`).join(', ')}`;
}

export const sparsity: PruningMethod<'sparsity', SparsityPlan> = {
  method: 'sparsity',
  relation: 'SPARSIFIED',
  needsCalibration: (r) =>
    r.criterion === 'wanda' || r.criterion === 'sparsegpt' || (allocationOf(r) === 'owl' && r.layerSparsity === undefined),

  async calibrate(dir, given, o) {
    const recipe = allocationOf(given) === 'owl' && given.layerSparsity === undefined ? await allocateOwl(dir, given, o) : given;
    if (recipe.criterion === 'magnitude') return { recipe };
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
      const L = ctx.arch.numLayers;
      if (recipe.layerSparsity && recipe.layerSparsity.length !== L)
        throw new BadInputError('recipe.layerSparsity', `has ${recipe.layerSparsity.length} entries; the model has ${L} decoder layers`);
      // Magnitude and SparseGPT zero floor(s·rows·cols) of each matrix; Wanda compares within each
      // output row, so it zeroes floor(s·cols) per row (wandaPattern), which is fewer.
      zeroed = targets.reduce((a, t) => {
        const s = sparsityOfLayer(recipe, layerOf(t.name))!;
        const [rows, cols] = t.shape as [number, number];
        if (recipe.criterion === 'wanda') return a + rows * (wandaPattern(s, null, cols) as { perRow: number }).perRow;
        return a + Math.floor(s * rows * cols + EPS);
      }, 0);
    }
    const layerSparsity = recipe.layerSparsity ? { layerSparsity: recipe.layerSparsity } : {};
    return { recipe, sparsity: { targetParameters: total, zeroed, ...layerSparsity } };
  },

  // OWL's sparsities come from its calibration pass; the plan made before it states the target alone.
  decidedWhenRun: (plan) => allocationOf(plan.recipe) === 'owl' && !plan.recipe.layerSparsity,

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
        const pattern = wandaPattern(sparsityOfLayer(recipe, layerOf(t.name)), nm, cols);
        return (b) => sparsifyWanda(b, t.dtype, DTYPE_BYTES[t.dtype], rows, cols, norms![t.name]!, pattern);
      });
    }
    if (nm) return each((t) => (b) => sparsifyNM(b, t.dtype, DTYPE_BYTES[t.dtype], nm.n, nm.m));
    const s = recipe.sparsity!;
    if (recipe.scope === 'per-matrix')
      return each((t) => {
        const ls = sparsityOfLayer(recipe, layerOf(t.name))!;
        return (b) => sparsifyMatrix(b, t.dtype, DTYPE_BYTES[t.dtype], Math.floor(ls * (b.byteLength / DTYPE_BYTES[t.dtype]) + EPS));
      });
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
    ...(plan.sparsity.layerSparsity ? { layer_sparsity: plan.sparsity.layerSparsity } : {}),
  }),

  childNameSuffix(recipe) {
    const suffix =
      recipe.pattern === 'unstructured' ? `sparse${percentLabel(recipe.sparsity ?? 0)}` : `sparse-${recipe.pattern.replace(':', 'of')}`;
    const named = recipe.criterion !== 'magnitude' ? `${suffix}-${recipe.criterion}` : suffix;
    return allocationOf(recipe) === 'owl' ? `${named}-owl` : named;
  },

  // OWL's per-layer sparsities come from calibration: the reproduce command asks for OWL again.
  resolvedFields: (recipe) => (recipe.allocation === 'owl' ? ['layerSparsity'] : []),

  hubTag: 'sparsity',

  card(recipe) {
    const ratio =
      recipe.pattern && recipe.pattern !== 'unstructured'
        ? `${recipe.pattern} semi-structured`
        : `${Number(recipe.sparsity) * 100} % unstructured (${recipe.scope ?? 'per-matrix'})${owlText(recipe)}`;
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
    const { targetParameters, zeroed, layerSparsity } = plan.sparsity;
    const lines = [
      `zeroed ${format.int(zeroed)} of ${format.int(targetParameters)} projection weights (${((100 * zeroed) / targetParameters).toFixed(2)} %); tensors stay dense, so memory does not shrink`,
    ];
    if (layerSparsity) lines.push(`OWL per-layer sparsity: ${layerSparsity.map((x) => `${(x * 100).toFixed(2)} %`).join(', ')}`);
    else if (allocationOf(plan.recipe) === 'owl')
      lines.push(`each layer's sparsity is set by OWL's pass over the calibration text when the job runs (mean ${plan.recipe.sparsity})`);
    return lines;
  },
};
