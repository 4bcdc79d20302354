// What a recipe will produce, computed from config.json alone, before any weight is read:
// `bonsai plan`, the API's pruningPlan and the engine itself all use this, so the plan is
// exactly what `prune` then writes. The common figures are computed here; what changes is each
// method's (src/pruning/methods/).
import { countFromConfig } from '../arch/params.js';
import { parseArchitecture } from '../arch/registry.js';
import { BadInputError } from '../errors.js';
import type { Recipe } from '../recipes/schema.js';
import { type MethodPlan, methodOf } from './methods/index.js';
import type { ConfigChange, PlanBase, PlanContext } from './methods/types.js';

export { matrixTargets } from './methods/sparsity.js';
export type { ConfigChange } from './methods/types.js';
export { keptNeurons } from './methods/width.js';

/** What a recipe will produce: the common figures, and what only its method has. */
export type Plan = PlanBase & MethodPlan;

/** Whether what goes is decided when the job runs (blocks by calibration, vocabulary by corpus). */
export function decidedWhenRun(plan: Plan): boolean {
  return methodOf(plan).decidedWhenRun?.(plan) ?? false;
}

/**
 * `prepared`: what the method read before planning, from data (vocabulary trimming's counted
 * corpus; without it the plan keeps the size).
 */
export function planPrune(config: Record<string, unknown>, recipe: Recipe, file = 'config.json', prepared?: unknown): Plan {
  const arch = parseArchitecture(config, file);
  const method = methodOf(recipe);
  if (arch.kind !== 'decoder' && !method.encoders) {
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
  const ctx: PlanContext = {
    arch,
    next,
    target,
    text,
    changes,
    file,
    set: (field, to) => {
      changes.push({ field: text + field, from: target[field], to });
      target[field] = to;
    },
  };
  const specific = { method: recipe.method, ...method.plan(ctx, recipe, prepared) } as MethodPlan;
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
