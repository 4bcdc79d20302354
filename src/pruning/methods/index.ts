// Every pruning method, as src/arch/registry.ts lists every family: adding a method is its module
// in this folder, its line here, and its recipe schema in src/recipes/schema.ts.
import type { Method, Recipe } from '../../recipes/schema.js';
import { type AttentionPlan, attention } from './attention.js';
import { type DepthPlan, depth } from './depth.js';
import { type HiddenPlan, hidden } from './hidden.js';
import { type SparsityPlan, sparsity } from './sparsity.js';
import type { PruningMethod, PruningRelation } from './types.js';
import { type VocabPlan, vocab } from './vocab.js';
import { type WidthPlan, width } from './width.js';

export type { AttentionPlan } from './attention.js';
export type { DepthPlan } from './depth.js';
export type { HiddenPlan } from './hidden.js';
export type { SparsityPlan } from './sparsity.js';
export type { PruningMethod, PruningRelation } from './types.js';
export type { VocabPlan } from './vocab.js';
export type { WidthPlan } from './width.js';

/** What any method's plan adds to the common figures. */
export type MethodPlan = WidthPlan | DepthPlan | SparsityPlan | VocabPlan | AttentionPlan | HiddenPlan;

/** A method as generic code (the engine, the plan, cards) handles it: any recipe, any plan. */
export type AnyMethod = PruningMethod<Method, MethodPlan, unknown>;

/** In the order the CLI, the API and the catalog list them (the recipe schemas' order). */
export const METHODS: readonly AnyMethod[] = [width, depth, sparsity, vocab, attention, hidden];

/** The method module of a recipe. */
export function methodOf(recipe: { method: Method }): AnyMethod {
  const m = METHODS.find((x) => x.method === recipe.method);
  if (!m) throw new Error(`no pruning method ${recipe.method}`);
  return m;
}

/** The method of that name (a lineage row may record one this version does not have). */
export function methodNamed(name: unknown): AnyMethod | undefined {
  return METHODS.find((x) => x.method === name);
}

/** The lineage relation of each method's children (the registry's Relation enum). */
export const RELATION_OF_METHOD = Object.fromEntries(METHODS.map((m) => [m.method, m.relation])) as Record<Method, PruningRelation>;

/** The recipe reads calibration activations when it runs (the job runs the model over the calibration tokens first). */
export function needsCalibration(recipe: Recipe): boolean {
  return methodOf(recipe).needsCalibration(recipe);
}
