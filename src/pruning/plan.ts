// What a recipe will produce, computed from config.json alone, before any weight is read:
// `bonsai plan`, the API's pruningPlan and the engine itself all use this, so the plan is
// exactly what `prune` then writes.
import { countFromConfig, type ParameterCount } from '../arch/params.js';
import { parseArchitecture } from '../arch/registry.js';
import { expectedTensors } from '../arch/tensors.js';
import type { ArchConfig } from '../arch/types.js';
import { BadInputError } from '../errors.js';
import { idMap, rewriteTokenIds } from '../vocab/rewrite.js';
import type { VocabSelection } from '../vocab/select.js';
import { PROJECTION_WEIGHT } from './measureSparsity.js';
import { type DepthRecipe, nmPattern, type Recipe, type SparsityRecipe, type VocabRecipe, type WidthRecipe } from './recipe.js';

export interface ConfigChange {
  field: string;
  from: unknown;
  to: unknown;
}

interface PlanBase {
  /** The child's config.json. */
  config: Record<string, unknown>;
  arch: ArchConfig;
  changes: ConfigChange[];
  parameters: { before: ParameterCount; after: ParameterCount };
  /** (after − before) / before × 100. */
  changePercent: number;
}

/** What a recipe will produce: the common figures, and what only its method has. */
export type Plan = PlanBase &
  (
    | { method: 'mlp-width'; recipe: WidthRecipe /** Neurons kept per layer. */; keptNeurons: number }
    | {
        method: 'depth';
        recipe: DepthRecipe;
        /** Parent layer indices removed, and for each child layer its parent layer. */
        removedLayers: number[];
        layerMap: number[];
        /** A data-driven criterion before calibration: which blocks go is decided when it runs. */
        blocksChosenByCalibration: boolean;
      }
    | {
        method: 'sparsity';
        recipe: SparsityRecipe;
        /** Parameters in the matrices it acts on, and how many it will zero at least. */
        sparsity: { targetParameters: number; zeroed: number };
      }
    | {
        method: 'vocab';
        recipe: VocabRecipe;
        /** The tokens kept, once the corpus has been counted. */
        vocab?: VocabSelection;
        /** Before the corpus is counted: the size is decided when it runs. */
        vocabularyChosenByCorpus: boolean;
      }
  );

/** Whether what goes is decided when the job runs (blocks by calibration, vocabulary by corpus). */
export function decidedWhenRun(plan: Plan): boolean {
  return (plan.method === 'depth' && plan.blocksChosenByCalibration) || (plan.method === 'vocab' && plan.vocabularyChosenByCorpus);
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

export function matrixTargets(arch: ArchConfig): Array<{ name: string; shape: number[] }> {
  return expectedTensors(arch).filter((t) => PROJECTION_WEIGHT.test(t.name));
}

/** `vocab`: for vocabulary trimming, the selection from the corpus (without it the plan keeps the size). */
export function planPrune(config: Record<string, unknown>, recipe: Recipe, file = 'config.json', vocab?: VocabSelection): Plan {
  const arch = parseArchitecture(config, file);
  if (arch.kind !== 'decoder' && recipe.method !== 'vocab') {
    // Width, depth and sparsity are built for decoder blocks (gate/up/down_proj, layers.N); an
    // encoder's blocks are named and shaped differently, and nothing here has been checked on them.
    throw new BadInputError(
      'recipe.method',
      `${recipe.method} pruning is not supported for ${arch.family} (an ${arch.kind}); only vocabulary trimming (vocab) is`,
    );
  }
  const before = countFromConfig(arch);
  const changes: ConfigChange[] = [];
  const next: Record<string, unknown> = structuredClone(config);
  const text = (config.text_config as Record<string, unknown> | undefined) && arch.prefix !== 'model.' ? 'text_config.' : '';
  const target = text ? (next.text_config as Record<string, unknown>) : next;
  const set = (field: string, to: unknown) => {
    changes.push({ field: text + field, from: target[field], to });
    target[field] = to;
  };
  type Specific = Plan extends infer P ? (P extends PlanBase ? Omit<P, keyof PlanBase> : never) : never;
  let specific: Specific;

  switch (recipe.method) {
    case 'mlp-width': {
      const k = keptNeurons(arch, recipe);
      set('intermediate_size', k);
      specific = { method: recipe.method, recipe, keptNeurons: k };
      break;
    }
    case 'depth': {
      const L = arch.numLayers;
      // A data-driven recipe not resolved yet: the count is known, which blocks is not; every
      // block has the same parameters, so the last ones stand in for the totals.
      // Bounded by the model before anything proportional to the request is allocated.
      const field = recipe.layers ? 'recipe.layers' : recipe.last !== undefined ? 'recipe.last' : 'recipe.count';
      const n = recipe.layers?.length ?? recipe.last ?? recipe.count!;
      if (n >= L) throw new BadInputError(field, `would remove every one of the ${L} layers (at most ${L - 1})`);
      const bad = recipe.layers?.find((i) => i >= L);
      if (bad !== undefined) throw new BadInputError(field, `layer ${bad} is out of range: the model has layers 0..${L - 1}`);
      const removed = recipe.layers ? [...recipe.layers].sort((a, b) => a - b) : Array.from({ length: n }, (_, i) => L - n + i);
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
          throw new BadInputError(
            'recipe.layers',
            'the linear stand-in cannot replace block 0: there is no block before it to carry the map',
          );
      }
      const layerMap = Array.from({ length: L }, (_, i) => i).filter((i) => !removed.includes(i));
      set('num_hidden_layers', layerMap.length);
      // Per-layer lists must drop the same entries; a pattern (sliding_window_pattern) no longer
      // describes the remaining layers, so mixed layer types are written out explicitly.
      const mixed = new Set(arch.layerTypes).size > 1;
      if (Array.isArray(target.layer_types) || mixed) {
        set(
          'layer_types',
          layerMap.map((i) => arch.layerTypes[i]),
        );
        // transformers' Gemma3TextConfig derives layer_types from sliding_window_pattern only when
        // layer_types is absent; a pattern left beside the explicit list would contradict it.
        if ('sliding_window_pattern' in target) {
          changes.push({ field: `${text}sliding_window_pattern`, from: target.sliding_window_pattern, to: null });
          delete target.sliding_window_pattern;
        }
      }
      specific = {
        method: recipe.method,
        recipe,
        removedLayers: removed,
        layerMap,
        blocksChosenByCalibration: !recipe.layers && recipe.criterion !== undefined,
      };
      break;
    }
    case 'sparsity': {
      const targets = matrixTargets(arch);
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
      specific = { method: recipe.method, recipe, sparsity: { targetParameters: total, zeroed } };
      break;
    }
    case 'vocab': {
      if (!vocab) {
        specific = { method: recipe.method, recipe, vocabularyChosenByCorpus: true };
        break;
      }
      const remapped = rewriteTokenIds(next, idMap(vocab.kept), file);
      for (const key of Object.keys(remapped)) {
        if (key !== 'text_config' && JSON.stringify(remapped[key]) !== JSON.stringify(next[key])) {
          changes.push({ field: key, from: next[key], to: remapped[key] });
          next[key] = remapped[key];
        }
      }
      // Into the same object: `target` may be this text_config.
      if (remapped.text_config) Object.assign(next.text_config as object, remapped.text_config);
      set('vocab_size', vocab.kept.length);
      specific = { method: recipe.method, recipe, vocab, vocabularyChosenByCorpus: false };
      break;
    }
  }
  const childArch = parseArchitecture(next, file);
  const after = countFromConfig(childArch);
  return {
    config: next,
    arch: childArch,
    changes,
    parameters: { before, after },
    changePercent: ((after.total - before.total) / before.total) * 100,
    ...specific,
  };
}

/** The plan narrowed to its method, for callers that know which method they asked for. */
export function planFor<M extends Plan['method']>(plan: Plan, method: M): Extract<Plan, { method: M }> {
  if (plan.method !== method) throw new Error(`a ${method} plan was expected, not ${plan.method}`);
  return plan as Extract<Plan, { method: M }>;
}
