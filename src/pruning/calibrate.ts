// Resolving a data-driven recipe: its method's calibration pass (src/pruning/methods/) runs on
// the calibration room's graphs (src/calibration/) and turns the recipe into the explicit one the
// engine runs, with what it measured. Here, because a pass may need the engine itself (perplexity
// with a block removed writes that checkpoint), and the engine imports the methods.
import type { CalibrationOptions } from '../calibration/options.js';
import { perplexityWithout as perplexityWithoutBlocks } from '../calibration/perplexityWithout.js';
import type { Recipe } from '../recipes/schema.js';
import { prune } from './engine.js';
import { methodOf } from './methods/index.js';
import type { CalibrationContext, ResolvedRecipe } from './methods/types.js';

export type { ResolvedRecipe } from './methods/types.js';

type Options = CalibrationOptions & { tmp: string };

/** The engine as calibration calls it: a temporary child, its parent's hashes not needed. */
function withEngine(dir: string, o: Options): CalibrationContext {
  return { ...o, pruneTo: (out, recipe) => prune(dir, out, recipe, { parentHashes: o.fileHashes ?? {}, signal: o.signal }) };
}

/** Turns a data-driven recipe into the explicit one the engine runs (the scores kept in it); others as they are. */
export async function resolveRecipe(dir: string, recipe: Recipe, o: Options): Promise<ResolvedRecipe> {
  const method = methodOf(recipe);
  if (!method.calibrate || !method.needsCalibration(recipe)) return { recipe };
  return method.calibrate(dir, recipe, withEngine(dir, o));
}

/** Perplexity of the model without block l, for each l (Shortened LLaMA's PPL criterion). */
export function perplexityWithout(dir: string, file: string, samples: number, o: Options): Promise<number[]> {
  const engine = withEngine(dir, o);
  return perplexityWithoutBlocks(dir, file, samples, {
    ...o,
    withoutBlock: (layer, out) => engine.pruneTo(out, { method: 'depth', layers: [layer] }),
  });
}
