// One pruning run, as `bonsai prune` and the PRUNE job both run it: the recipe's calibration when
// it needs one (src/pruning/calibrate.ts), the plan of the recipe that will run, made once, and
// the engine writing exactly that plan.
import { join } from 'node:path';
import type { CalibrationOptions } from '../calibration/options.js';
import { BadInputError } from '../errors.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import type { Recipe } from '../recipes/schema.js';
import { resolveRecipe } from './calibrate.js';
import { type PruneOptions, type PruneResult, prune } from './engine.js';
import { methodOf } from './methods/index.js';
import type { ResolvedRecipe } from './methods/types.js';
import { planPrune } from './plan.js';

export interface PruneCheckpointOptions
  extends Omit<PruneOptions, 'plan' | 'inputNorms' | 'weights' | 'tensorFiles' | 'gramFiles' | 'reconstruction'> {
  /** Where a calibration pass works and caches its graphs; required when the recipe needs one. */
  calibration?: CalibrationOptions & { tmp: string };
  /** Called, when the recipe calibrated, with what calibration resolved, before any weight is written (the worker records the blocks chosen). */
  onResolved?: (resolved: ResolvedRecipe) => Promise<void>;
}

export interface PruneCheckpointResult extends PruneResult {
  resolved: ResolvedRecipe;
}

export async function pruneCheckpoint(
  parentDir: string,
  outDir: string,
  recipe: Recipe,
  o: PruneCheckpointOptions = {},
): Promise<PruneCheckpointResult> {
  const method = methodOf(recipe);
  let resolved: ResolvedRecipe = { recipe };
  if (method.needsCalibration(recipe)) {
    if (!o.calibration) throw new BadInputError('recipe.calibration', `${recipe.method} with these settings needs a calibration pass`);
    resolved = await resolveRecipe(parentDir, recipe, { ...o.calibration, signal: o.calibration.signal ?? o.signal });
    await o.onResolved?.(resolved);
  }
  const config = (await readCheckpointFolder(parentDir)).config;
  const report = o.onProgress ?? (() => {});
  // The calibration cache folder also keeps what `prepare` derives (vocab's corpus counts).
  const prepared =
    o.prepared ??
    method.prepare?.(parentDir, config, resolved.recipe, (f) => report({ stage: 'counting', progress: 0.05 * f }), o.calibration?.cacheDir);
  const plan = planPrune(config, resolved.recipe, join(parentDir, 'config.json'), prepared);
  const { recipe: run, ...calibrated } = resolved;
  const result = await prune(parentDir, outDir, run, { ...o, ...calibrated, prepared, plan });
  return { ...result, resolved };
}
