// Mutations on models: import, spawn, evaluate, edit, delete. Each checks the caller's role
// first, then hands the arguments to src/registry.
import { arg, booleanArg, extendType, inputObjectType, list, nonNull, objectType, stringArg } from 'nexus';
import { deleteModel, updateModel } from '../../src/registry/models.js';
import { registerModel } from '../../src/registry/register.js';
import { evaluateModel, spawnPrunedVariant } from '../../src/registry/spawn.js';
import { requireRole } from '../auth.js';
import { modelRef, toGlobalId } from '../globalId.js';
import { externalRecipeFromInput, recipeFromInput, withoutNulls } from './Recipe.js';

export const ParentInput = inputObjectType({
  name: 'ParentInput',
  definition(t) {
    t.nonNull.string('model', { description: 'Global id, database id or owner/name.' });
    t.nonNull.field('relation', { type: 'Relation' });
  },
});

export const SkippedFile = objectType({
  name: 'SkippedFile',
  description: 'A file of the imported folder that is not part of the checkpoint, and was not stored.',
  definition(t) {
    t.nonNull.string('path', { description: 'Name in the folder (a subfolder ends with /).' });
    t.field('size', { type: 'BigInt', description: 'Bytes; null for something that is not a regular file.' });
    t.nonNull.string('reason');
  },
});

export const RegisterModelPayload = objectType({
  name: 'RegisterModelPayload',
  definition(t) {
    t.nonNull.field('model', { type: 'Model' });
    t.nonNull.list.nonNull.field('skippedFiles', { type: 'SkippedFile', description: 'What was left out, and why.' });
  },
});

export const SpawnPrunedVariantPayload = objectType({
  name: 'SpawnPrunedVariantPayload',
  definition(t) {
    t.nonNull.field('model', { type: 'Model', description: 'The child, QUEUED.' });
    t.nonNull.field('edge', { type: 'LineageEdge' });
    t.nonNull.field('job', { type: 'Job' });
    t.nonNull.field('plan', { type: 'PruningPlan' });
  },
});

export const DeleteModelPayload = objectType({
  name: 'DeleteModelPayload',
  definition(t) {
    t.nonNull.list.nonNull.id('deletedIds', { description: 'Global ids of every model removed.' });
  },
});

export const ModelMutations = extendType({
  type: 'Mutation',
  definition(t) {
    t.nonNull.field('registerModel', {
      type: 'RegisterModelPayload',
      description:
        'Imports a Hugging Face checkpoint folder from an allowed root (BONSAI_MODEL_ROOTS), or `hf://ORG/NAME[@REVISION]` from the local Hugging Face cache (offline; HF_HOME must lie under a root). Only the files of the checkpoint are stored (weights, config, tokenizer, generation config, card); the rest is listed in `skippedFiles`. With `parents`, registers a derivative made elsewhere (fine-tuned, quantized, merged…).',
      args: {
        path: nonNull(stringArg({ description: 'A folder under BONSAI_MODEL_ROOTS, or hf://ORG/NAME[@REVISION].' })),
        name: nonNull(stringArg({ description: 'owner/name' })),
        license: stringArg(),
        description: stringArg(),
        tags: list(nonNull(stringArg())),
        parents: list(nonNull(arg({ type: 'ParentInput' }))),
        recipe: arg({ type: 'ExternalRecipeInput', description: 'How the derivative was made (stored on its lineage edges).' }),
      },
      resolve: async (_r, args, ctx) => {
        requireRole(ctx, 'MAINTAINER');
        const parents = args.parents?.map((p, i) => ({ model: modelRef(p.model, `parents.${i}.model`), relation: p.relation }));
        const recipe = externalRecipeFromInput(args.recipe);
        const { model, skipped } = await registerModel(ctx.services.registry, { ...args, parents, recipe });
        return {
          model,
          skippedFiles: skipped.map((f) => ({ path: f.name, size: f.size === null ? null : BigInt(f.size), reason: f.reason })),
        };
      },
    });
    t.nonNull.field('spawnPrunedVariant', {
      type: 'SpawnPrunedVariantPayload',
      description: 'Queues a pruned child of `parent`: checked against the plan first, then model, edge and job in one transaction.',
      args: {
        parent: nonNull(stringArg()),
        parentRevision: stringArg({ description: 'The parent’s revision to prune: a sha from `Model.revisions` (default: main).' }),
        recipe: nonNull(arg({ type: 'PruningRecipeInput', description: 'One method and its fields, as for `bonsai prune`.' })),
        name: stringArg({ description: 'owner/name; by default derived from the parent and the recipe.' }),
        description: stringArg(),
        evaluate: list(nonNull(arg({ type: 'EvaluationTaskInput', description: 'Evaluations to run once pruned.' }))),
      },
      resolve: async (_r, args, ctx) => {
        const viewer = requireRole(ctx, 'MAINTAINER');
        return spawnPrunedVariant(
          ctx.services.registry,
          {
            ...args,
            parent: modelRef(args.parent, 'parent'),
            recipe: recipeFromInput(args.recipe),
            evaluate: args.evaluate?.map(withoutNulls),
          },
          viewer.tokenId,
        );
      },
    });
    t.nonNull.list.nonNull.field('evaluateModel', {
      type: 'Job',
      args: { model: nonNull(stringArg()), tasks: nonNull(list(nonNull(arg({ type: 'EvaluationTaskInput' })))) },
      resolve: async (_r, { model, tasks }, ctx) => {
        const viewer = requireRole(ctx, 'MAINTAINER');
        return evaluateModel(ctx.services.registry, modelRef(model), tasks.map(withoutNulls), viewer.tokenId);
      },
    });
    t.nonNull.field('updateModel', {
      type: 'Model',
      args: { model: nonNull(stringArg()), description: stringArg(), tags: list(nonNull(stringArg())), license: stringArg() },
      resolve: async (_r, args, ctx) => {
        requireRole(ctx, 'MAINTAINER');
        return updateModel(ctx.services.registry, modelRef(args.model), args);
      },
    });
    t.nonNull.field('deleteModel', {
      type: 'DeleteModelPayload',
      description: 'Refused while the model has children, unless `cascade` deletes them too. Blobs no other model uses are removed.',
      args: { model: nonNull(stringArg()), cascade: booleanArg({ default: false }) },
      resolve: async (_r, { model, cascade }, ctx) => {
        requireRole(ctx, 'MAINTAINER');
        const ids = await deleteModel(ctx.services.registry, modelRef(model), cascade ?? false);
        return { deletedIds: ids.map((id) => toGlobalId('Model', id)) };
      },
    });
  },
});
