// MLP width pruning (OptiPFair's GLU-aware neuron pruning, peremartra/optipfair): the same
// neurons of gate_proj and up_proj (rows) and down_proj (columns) go in every layer, ranked by a
// weight criterion or by calibration activations; down_proj may be refit by least squares on the
// kept neurons (kept per layer only where it lowers the held-out error: src/pruning/heldOut.ts).
import { layerPrefix } from '../../arch/tensors.js';
import type { ArchConfig } from '../../arch/types.js';
import { calibrate } from '../../calibration/activations.js';
import { BadInputError } from '../../errors.js';
import { DTYPE_BYTES, fromFloat32, toFloat32 } from '../../formats/safetensors/dtypes.js';
import { dampeningOf, samplesOf, type WidthRecipe } from '../../recipes/schema.js';
import { decide, type HeldOutDecision, readGram, refitReport } from '../heldOut.js';
import { downProjGrams } from '../reconstruct.js';
import { heldOutErrors, refitDownProj } from '../refit.js';
import { activationScores, neuronScores, topK } from '../scores.js';
import { takeColumns, takeRows } from '../slice.js';
import { percentLabel } from './percent.js';
import { ONE_SHOT, type Output, type PruningMethod } from './types.js';

export interface WidthPlan {
  method: 'mlp-width';
  recipe: WidthRecipe;
  /** Neurons kept per layer. */
  keptNeurons: number;
}

const EPS = 1e-9;

/** Kept neurons per layer (OptiPFair, peremartra/optipfair): k = I − min(floor(p·I), I − 1), optionally rounded. */
export function keptNeurons(arch: ArchConfig, r: WidthRecipe): number {
  const I = arch.intermediateSize;
  const H = arch.hiddenSize;
  let k: number;
  if (r.intermediateSize !== undefined) {
    if (r.intermediateSize > I) throw new BadInputError('recipe.intermediateSize', `must not exceed the current intermediate_size ${I}`);
    k = r.intermediateSize;
  } else {
    const p = r.pruningFraction ?? 1 - ((r.expansionRate ?? 0) / 100) * (H / I);
    if (!(p >= 0 && p < 1)) {
      throw new BadInputError(
        'recipe.expansionRate',
        `gives a pruning fraction of ${p.toFixed(4)}; it must leave 0 < rate ≤ ${((100 * I) / H).toFixed(2)}`,
      );
    }
    // p·I is computed in binary floating point: 0.4 × 9216 must floor to 3686, not 3685.
    k = I - Math.min(Math.floor(p * I + EPS), I - 1);
  }
  if (r.roundTo) {
    const rounded = Math.round(k / r.roundTo) * r.roundTo;
    k = Math.min(I, Math.max(r.roundTo, rounded));
  }
  return Math.max(1, Math.min(I, k));
}

const needsCalibration = (r: WidthRecipe) => r.criterion === 'activation' || r.reconstruct === 'least-squares';

export const width: PruningMethod<'mlp-width', WidthPlan> = {
  method: 'mlp-width',
  relation: 'WIDTH_PRUNED',
  needsCalibration,

  async calibrate(dir, recipe, o) {
    const samples = samplesOf(recipe);
    // The activation criterion scores the dense model's norms.
    const { inputNorms } = recipe.criterion === 'activation' ? await calibrate(dir, recipe.calibration!, samples, o) : {};
    if (recipe.reconstruct === 'least-squares') {
      const gramFiles = await downProjGrams(dir, recipe.calibration!, samples, o);
      return { recipe: { ...recipe, samples, dampening: dampeningOf(recipe) }, inputNorms, gramFiles };
    }
    return { recipe: { ...recipe, samples }, inputNorms };
  },

  plan(ctx, recipe) {
    const k = keptNeurons(ctx.arch, recipe);
    ctx.set('intermediate_size', k);
    return { recipe, keptNeurons: k };
  },

  async outputs(ctx, plan) {
    const { ckpt, infos, layerRe, same, calibrated } = ctx;
    const { recipe } = plan;
    const k = plan.keptNeurons;
    const H = plan.arch.hiddenSize;
    const I = Number(infos.find((t) => /mlp\.gate_proj\.weight$/.test(t.name))?.shape[0]);
    const keep = new Map<number, number[]>();
    const layers = new Set(infos.flatMap((t) => (layerRe.exec(t.name) ? [Number(layerRe.exec(t.name)![1])] : [])));
    let scored = 0;
    for (const layer of [...layers].sort((a, b) => a - b)) {
      ctx.signal?.throwIfAborted();
      const lp = layerPrefix({ ...plan.arch, prefix: ctx.prefix }, layer);
      let scores: Float64Array;
      if (recipe.criterion === 'activation') {
        const downName = `${lp}mlp.down_proj.weight`;
        const norms = calibrated.inputNorms?.[downName];
        if (!norms) throw new BadInputError('recipe.criterion', `the activation criterion needs calibration norms (none for ${downName})`);
        scores = activationScores(await ckpt.readBytes(downName), ckpt.info(downName).dtype, H, I, norms);
      } else {
        const gateName = `${lp}mlp.gate_proj.weight`;
        const gate = await ckpt.readBytes(gateName);
        const up = await ckpt.readBytes(`${lp}mlp.up_proj.weight`);
        scores = neuronScores(gate, up, ckpt.info(gateName).dtype, I, H, recipe.criterion);
      }
      keep.set(layer, k >= I ? Array.from({ length: I }, (_, i) => i) : topK(scores, k));
      ctx.report({ stage: 'scoring', progress: (0.1 * ++scored) / layers.size, detail: `layer ${layer}` });
    }
    const gramFiles = calibrated.gramFiles;
    const decisions: HeldOutDecision[] = [];
    const tensors = infos.map((t): Output => {
      const m = layerRe.exec(t.name);
      const kept = m ? keep.get(Number(m[1])) : undefined;
      const e = DTYPE_BYTES[t.dtype];
      if (!m || !kept || kept.length === I) return same(t);
      const rest = m[2]!;
      if (rest === 'mlp.gate_proj.weight' || rest === 'mlp.up_proj.weight') {
        return { ...same(t), shape: [k, t.shape[1]!], transform: (b) => takeRows(b, t.shape[1]!, e, kept) };
      }
      if (rest === 'mlp.gate_proj.bias' || rest === 'mlp.up_proj.bias')
        return { ...same(t), shape: [k], transform: (b) => takeRows(b, 1, e, kept) };
      if (rest === 'mlp.down_proj.weight' && recipe.reconstruct === 'least-squares') {
        const files = gramFiles?.files[t.name];
        if (!files)
          throw new BadInputError('recipe.reconstruct', `the least-squares refit needs calibration (no Gram matrix for ${t.name})`);
        const rows = t.shape[0]!;
        return {
          ...same(t),
          shape: [rows, k],
          transform: async (b) => {
            const w = toFloat32(b, t.dtype);
            const fitted = refitDownProj(w, rows, I, kept, await readGram(files.fit), dampeningOf(recipe));
            const written = fromFloat32(Float32Array.from(fitted), t.dtype);
            // Kept only where it beats plain slicing on the held-out tokens, as written (in the dtype).
            const err = heldOutErrors(
              w,
              rows,
              I,
              kept,
              toFloat32(written, t.dtype),
              await readGram(files.heldOut),
              gramFiles!.heldOutTokens,
            );
            const decision = decide(Number(m[1]), err.before, err.after);
            decisions.push(decision);
            return decision.applied ? written : takeColumns(b, rows, I, DTYPE_BYTES[t.dtype], kept);
          },
        };
      }
      if (rest === 'mlp.down_proj.weight')
        return { ...same(t), shape: [t.shape[0]!, k], transform: (b) => takeColumns(b, t.shape[0]!, I, e, kept) };
      return same(t);
    });
    return {
      tensors,
      reconstruction: () => refitReport(gramFiles, decisions),
    };
  },

  result: (plan) => ({ kept_neurons_per_layer: plan.keptNeurons }),

  childNameSuffix(recipe) {
    const size =
      recipe.pruningFraction !== undefined
        ? `width${percentLabel(recipe.pruningFraction)}`
        : recipe.intermediateSize !== undefined
          ? `mlp${recipe.intermediateSize}`
          : `exp${recipe.expansionRate}`;
    return `${size}-${recipe.criterion}${recipe.reconstruct === 'least-squares' ? '-ls' : ''}`;
  },

  hubTag: 'width-pruning',

  card(recipe) {
    const ratio =
      recipe.pruningFraction !== undefined
        ? `${Number(recipe.pruningFraction) * 100} % of MLP neurons removed`
        : recipe.intermediateSize !== undefined
          ? `intermediate_size → ${recipe.intermediateSize}`
          : `expansion rate ${recipe.expansionRate} %`;
    const refit =
      recipe.reconstruct === 'least-squares'
        ? `; down_proj refit by least squares on the first three quarters of ${samplesOf(recipe as { samples?: number })} calibration tokens (λ = ${dampeningOf(recipe as { dampening?: number })} of the mean diagonal), kept in a layer only where it lowers the error on the last quarter`
        : '';
    return { method: 'MLP width pruning (GLU-aware)', criterion: `${String(recipe.criterion ?? 'maw').toUpperCase()}${refit}`, ratio };
  },

  limitations: [ONE_SHOT],

  summary: () => [],
};
