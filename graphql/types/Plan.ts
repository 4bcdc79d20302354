// The core's plan, exposed as is: what a recipe will produce, computed from config.json alone.
import { arg, extendType, nonNull, objectType, stringArg } from 'nexus';
import { COMPONENTS } from '../../src/arch/types.js';
import { needsCalibration } from '../../src/pruning/methods/index.js';
import { decidedWhenRun } from '../../src/pruning/plan.js';
import { pruningPlan } from '../../src/registry/spawn.js';
import { checkRead } from '../auth.js';
import { modelRef } from '../globalId.js';
import { recipeFromInput } from './Recipe.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

export const ConfigChange = objectType({
  name: 'ConfigChange',
  definition(t) {
    t.nonNull.string('field');
    t.json('from');
    t.json('to');
  },
});

export const ComponentParameters = objectType({
  name: 'ComponentParameters',
  definition(t) {
    t.nonNull.string('component', { description: 'embedding, attention, mlp, norms, lm_head, other' });
    t.nonNull.bigint('before');
    t.nonNull.bigint('after');
  },
});

export const SparsityPlan = objectType({
  name: 'SparsityPlan',
  definition(t) {
    t.nonNull.bigint('targetParameters', { description: 'Parameters in the matrices sparsity acts on.' });
    t.nonNull.bigint('zeroed', { description: 'How many of them become zero (at least).' });
  },
});

export const PruningPlan = objectType({
  name: 'PruningPlan',
  sourceType: { ...sources, export: 'PlanSource' },
  definition(t) {
    t.nonNull.field('recipe', { type: 'Recipe', description: 'The recipe with its defaults filled in.' });
    t.nonNull.json('config', { description: "The child's config.json." });
    t.nonNull.list.nonNull.field('changes', { type: 'ConfigChange' });
    t.nonNull.bigint('parametersBefore', { resolve: (p) => BigInt(p.parameters.before.total) });
    t.nonNull.bigint('parametersAfter', { resolve: (p) => BigInt(p.parameters.after.total) });
    t.nonNull.float('changePercent');
    t.nonNull.list.nonNull.field('byComponent', {
      type: 'ComponentParameters',
      resolve: (p) =>
        COMPONENTS.map((c) => ({
          component: c,
          before: BigInt(p.parameters.before.byComponent[c]),
          after: BigInt(p.parameters.after.byComponent[c]),
        })),
    });
    t.nonNull.boolean('decidedWhenRun', {
      description:
        'A data-driven recipe (blocks by calibration, vocabulary by corpus): what goes is decided when the job runs; until then the figures assume the stated count (depth) or no change in size (vocabulary).',
      resolve: (p) => decidedWhenRun(p),
    });
    t.nonNull.boolean('needsCalibration', {
      description:
        'The recipe reads calibration activations when it runs (Wanda, SparseGPT, the activation criterion, the least-squares refit, data-driven depth): the job runs the model over the calibration tokens first.',
      resolve: (p) => needsCalibration(p.recipe),
    });
    t.int('keptNeurons', {
      description: 'Width pruning: neurons kept in every layer.',
      resolve: (p) => ('keptNeurons' in p ? p.keptNeurons : null),
    });
    t.list.nonNull.int('removedLayers', { resolve: (p) => ('removedLayers' in p ? p.removedLayers : null) });
    t.field('sparsity', {
      type: 'SparsityPlan',
      resolve: (p) =>
        'sparsity' in p ? { targetParameters: BigInt(p.sparsity.targetParameters), zeroed: BigInt(p.sparsity.zeroed) } : null,
    });
  },
});

export const PlanQuery = extendType({
  type: 'Query',
  definition(t) {
    t.nonNull.field('pruningPlan', {
      type: 'PruningPlan',
      description: 'What `recipe` will produce from `parent`, before anything is queued.',
      args: {
        parent: nonNull(stringArg()),
        parentRevision: stringArg({ description: 'The parent’s revision (a sha from `Model.revisions`; default: main).' }),
        recipe: nonNull(arg({ type: 'PruningRecipeInput' })),
      },
      resolve: async (_r, { parent, parentRevision, recipe }, ctx) => {
        checkRead(ctx);
        return (await pruningPlan(ctx.services.registry, modelRef(parent, 'parent'), recipeFromInput(recipe), parentRevision ?? 'main'))
          .plan;
      },
    });
  },
});
