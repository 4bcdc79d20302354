// Depth pruning: whole decoder blocks go, named (layers, last) or chosen from calibration data
// (ShortGPT's block influence, Men et al. 2024, or the perplexity without each block); each removed
// span may be replaced by a linear map folded into the block before it (ReplaceMe, Shopkhoev et
// al. 2025: src/pruning/standIn.ts), so the child is a standard checkpoint with fewer blocks.
import { join } from 'node:path';
import { parseArchitecture } from '../../arch/registry.js';
import type { ArchConfig } from '../../arch/types.js';
import { calibrate } from '../../calibration/activations.js';
import { perplexityWithout } from '../../calibration/perplexityWithout.js';
import { BadInputError } from '../../errors.js';
import { readCheckpointFolder } from '../../formats/checkpoint/folder.js';
import { fromFloat32 } from '../../formats/safetensors/dtypes.js';
import { type DepthRecipe, dampeningOf, samplesOf } from '../../recipes/schema.js';
import { linearStandIns } from '../reconstruct.js';
import { ONE_SHOT, type PruningMethod } from './types.js';

export interface DepthPlan {
  method: 'depth';
  recipe: DepthRecipe;
  /** Parent layer indices removed, and for each child layer its parent layer. */
  removedLayers: number[];
  layerMap: number[];
  /** A data-driven criterion before calibration: which blocks go is decided when it runs. */
  blocksChosenByCalibration: boolean;
}

const CRITERION_NAME = { 'block-influence': 'bi', perplexity: 'ppl' } as const;

/**
 * The parent blocks a recipe removes, ascending. A data-driven recipe not resolved yet: the count
 * is known, which blocks is not; every block has the same parameters, so the last ones stand in
 * for the totals. Bounded by the model before anything proportional to the request is allocated.
 */
function removedLayers(arch: ArchConfig, recipe: DepthRecipe): number[] {
  const L = arch.numLayers;
  const field = recipe.layers ? 'recipe.layers' : recipe.last !== undefined ? 'recipe.last' : 'recipe.count';
  const n = recipe.layers?.length ?? recipe.last ?? recipe.count!;
  if (n >= L) throw new BadInputError(field, `would remove every one of the ${L} layers (at most ${L - 1})`);
  const bad = recipe.layers?.find((i) => i >= L);
  if (bad !== undefined) throw new BadInputError(field, `layer ${bad} is out of range: the model has layers 0..${L - 1}`);
  if (recipe.reconstruct === 'linear') {
    // The map is folded into the down_proj of the block before each span, whose output is
    // added to the residual stream as it is; a norm after the MLP (Gemma-2/3's
    // post_feedforward_layernorm) sits between them, and block 0 has no block before it.
    if (arch.layerNorms.includes('post_feedforward_layernorm'))
      throw new BadInputError(
        'recipe.reconstruct',
        `the linear stand-in is not supported for ${arch.family}: its post_feedforward_layernorm sits between down_proj and the residual stream, so the map cannot be folded into a standard checkpoint`,
      );
    if (recipe.layers?.includes(0))
      throw new BadInputError('recipe.layers', 'the linear stand-in cannot replace block 0: there is no block before it to carry the map');
  }
  return recipe.layers ? [...recipe.layers].sort((a, b) => a - b) : Array.from({ length: n }, (_, i) => L - n + i);
}

export const depth: PruningMethod<'depth', DepthPlan> = {
  method: 'depth',
  relation: 'DEPTH_PRUNED',
  needsCalibration: (r) => (r.criterion !== undefined && r.layers === undefined) || r.reconstruct === 'linear',

  async calibrate(dir, recipe, o) {
    let resolved: DepthRecipe = recipe;
    if (recipe.criterion && !recipe.layers) {
      const samples = samplesOf(recipe);
      const scores =
        recipe.criterion === 'block-influence'
          ? (await calibrate(dir, recipe.calibration!, samples, o)).blockInfluence
          : await perplexityWithout(dir, recipe.calibration!, samples, {
              ...o,
              withoutBlock: (layer, out) => o.pruneTo(out, { method: 'depth', layers: [layer] }),
            });
      // Remove the blocks whose removal hurts least: lowest influence, or lowest perplexity without
      // them. A linear stand-in needs a block before each span, so block 0 stays then.
      const layers = scores
        .map((s, l) => [s, l] as const)
        .filter(([, l]) => l > 0 || recipe.reconstruct !== 'linear')
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, recipe.count!)
        .map(([, l]) => l)
        .sort((a, b) => a - b);
      resolved = { ...recipe, samples, layers, scores: scores.map((s) => Number(s.toPrecision(6))) };
    }
    if (recipe.reconstruct !== 'linear') return { recipe: resolved };
    // The blocks that go, checked as the plan checks them, before the stand-in's pass runs.
    const config = (await readCheckpointFolder(dir)).config;
    const arch = parseArchitecture(config, join(dir, 'config.json'));
    const removed = removedLayers(arch, resolved);
    const samples = samplesOf(resolved);
    const dampening = dampeningOf(resolved);
    const { weights, report } = await linearStandIns(dir, removed, resolved.calibration!, samples, dampening, o);
    return { recipe: { ...resolved, samples, dampening }, weights, reconstruction: report };
  },

  plan(ctx, recipe) {
    const { arch, target } = ctx;
    const L = arch.numLayers;
    const removed = removedLayers(arch, recipe);
    const layerMap = Array.from({ length: L }, (_, i) => i).filter((i) => !removed.includes(i));
    ctx.set('num_hidden_layers', layerMap.length);
    // Per-layer lists must drop the same entries; a pattern (sliding_window_pattern) no longer
    // describes the remaining layers, so mixed layer types are written out explicitly.
    const mixed = new Set(arch.layerTypes).size > 1;
    if (Array.isArray(target.layer_types) || mixed) {
      ctx.set(
        'layer_types',
        layerMap.map((i) => arch.layerTypes[i]),
      );
      // transformers' Gemma3TextConfig derives layer_types from sliding_window_pattern only when
      // layer_types is absent; a pattern left beside the explicit list would contradict it.
      if ('sliding_window_pattern' in target) {
        ctx.changes.push({ field: `${ctx.text}sliding_window_pattern`, from: target.sliding_window_pattern, to: null });
        delete target.sliding_window_pattern;
      }
    }
    return { recipe, removedLayers: removed, layerMap, blocksChosenByCalibration: !recipe.layers && recipe.criterion !== undefined };
  },

  decidedWhenRun: (plan) => plan.blocksChosenByCalibration,

  async outputs(ctx, plan) {
    const { layerRe, same, calibrated, prefix } = ctx;
    const newIndex = new Map(plan.layerMap.map((old, i) => [old, i]));
    if (plan.recipe.reconstruct === 'linear' && !calibrated.reconstruction)
      throw new BadInputError('recipe.reconstruct', 'the linear stand-in needs its calibration pass first (no held-out decisions)');
    const tensors = ctx.infos.flatMap((t) => {
      const m = layerRe.exec(t.name);
      if (!m) return [same(t)];
      const to = newIndex.get(Number(m[1]));
      if (to === undefined) return [];
      // The linear stand-in: the down_proj before a removed span carries its map (src/pruning/standIn.ts).
      const folded = calibrated.weights?.get(t.name);
      const transform = folded ? () => fromFloat32(folded, t.dtype) : undefined;
      return [{ ...same(t), name: `${prefix}layers.${to}.${m[2]}`, ...(transform ? { transform } : {}) }];
    });
    return { tensors, reconstruction: () => calibrated.reconstruction };
  },

  result: (plan) => ({ removed_layers: plan.removedLayers }),

  childNameSuffix(recipe) {
    const suffix = recipe.layers
      ? `depth-l${[...recipe.layers].sort((a, b) => a - b).join('-')}`
      : recipe.last !== undefined
        ? `depth-last${recipe.last}`
        : `depth${recipe.count}-${CRITERION_NAME[recipe.criterion!]}`;
    return recipe.reconstruct === 'linear' ? `${suffix}-linear` : suffix;
  },

  hubTag: 'depth-pruning',

  card(recipe) {
    const ratio = Array.isArray(recipe.layers) ? `blocks ${recipe.layers.join(', ')} removed` : `last ${recipe.last} blocks removed`;
    const standIn =
      recipe.reconstruct === 'linear'
        ? `; each removed span replaced by a linear map estimated by least squares on the first three quarters of ${samplesOf(recipe as { samples?: number })} calibration tokens (ReplaceMe, Shopkhoev et al. 2025, arXiv:2505.02819; λ = ${dampeningOf(recipe as { dampening?: number })} toward the identity) and folded into the down_proj of the block before it where it lowers the error on the last quarter, so this is a standard checkpoint with fewer blocks`
        : '';
    return {
      method: 'depth pruning',
      criterion: `${String(recipe.criterion ?? (Array.isArray(recipe.layers) ? 'explicit' : 'last-n'))}${standIn}`,
      ratio,
    };
  },

  limitations: [ONE_SHOT],

  // The request, not what calibration decided from it: a data-driven recipe records the blocks it
  // chose, and giving them back as --layers would be a different recipe.
  resolvedFields: (recipe) => (recipe.criterion !== undefined ? ['layers'] : []),

  summary: (plan) => [`removed layers ${plan.removedLayers.join(', ')}`],
};
