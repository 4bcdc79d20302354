import { extendType, intArg, nonNull, objectType, stringArg } from 'nexus';
import { NotFoundError } from '../../src/errors.js';
import { publicRecipe } from '../../src/registry/dataNames.js';
import { descendantTree } from '../../src/registry/lineage.js';
import { findModel } from '../../src/registry/models.js';
import { checkRead } from '../auth.js';
import type { Context } from '../context.js';
import { modelRef, toGlobalId } from '../globalId.js';
import type { ModelSource, TreeSource } from '../sources.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

async function loadModel(ctx: Context, id: string) {
  return (await ctx.loaders.model.load(id)) ?? Promise.reject(new NotFoundError('model', id));
}

/**
 * The tree's statement read every model row already: edges get their models attached, so a
 * 10,000-node tree resolves synchronously instead of through 20,000 loader promises.
 */
export async function treeSource(ctx: Context, rootId: string, depth: number): Promise<TreeSource> {
  const tree = await descendantTree(ctx.services.registry, rootId, depth);
  const models = new Map<string, ModelSource>();
  for (const n of tree.nodes) {
    if (!n.model) continue;
    models.set(n.id, n.model);
    ctx.loaders.model.prime(n.id, n.model);
  }
  const edges = tree.edges.map((e) => ({ ...e, parentModel: models.get(e.parentId), childModel: models.get(e.childId) }));
  return { rootId, nodes: tree.nodes, edges };
}

export const LineageEdge = objectType({
  name: 'LineageEdge',
  sourceType: { ...sources, export: 'EdgeSource' },
  description: 'parent → child, with how the child was made.',
  definition(t) {
    t.implements('Node');
    t.nonNull.id('id', { resolve: (e) => toGlobalId('LineageEdge', e.id) });
    t.nonNull.field('relation', { type: 'Relation' });
    t.nonNull.field('recipe', {
      type: 'Recipe',
      description: 'How the child was made, as recorded.',
      resolve: (e) => publicRecipe(e.recipe as object) as never,
    });
    t.string('parentRevision', {
      description: 'The sha of the parent’s revision the child was made from (recorded since revisions exist).',
    });
    t.json('result', {
      description:
        'What the run measured (parameters; sparsity: nonZero and targetParameters, and `tensors`: each rewritten tensor’s nonZero with the sha256 of the stored bytes it was counted on); null until it has run.',
    });
    t.string('method', {
      description: 'The recipe method: mlp-width, depth, sparsity, vocab (or external).',
      resolve: (e) => {
        const m = (e.recipe as { method?: unknown } | null)?.method;
        return typeof m === 'string' ? m : null;
      },
    });
    t.nonNull.int('position', { description: 'Order among a merge’s parents (0 = primary).' });
    t.nonNull.dateTime('createdAt');
    t.nonNull.field('parent', {
      type: 'Model',
      resolve: (e, _a, ctx) => e.parentModel ?? loadModel(ctx, e.parentId),
    });
    t.nonNull.field('child', {
      type: 'Model',
      resolve: (e, _a, ctx) => e.childModel ?? loadModel(ctx, e.childId),
    });
  },
});

export const ModelTreeNode = objectType({
  name: 'ModelTreeNode',
  sourceType: { ...sources, export: 'TreeNodeSource' },
  definition(t) {
    t.nonNull.int('depth', { description: 'Generations below the root of the tree.' });
    t.nonNull.field('model', {
      type: 'Model',
      resolve: (n, _a, ctx) => n.model ?? loadModel(ctx, n.id),
    });
  },
});

export const ModelTree = objectType({
  name: 'ModelTree',
  sourceType: { ...sources, export: 'TreeSource' },
  description: 'A model and its descendants: nodes (with their generation) and the edges between them.',
  definition(t) {
    t.nonNull.field('root', {
      type: 'Model',
      resolve: (tr, _a, ctx) => loadModel(ctx, tr.rootId),
    });
    t.nonNull.list.nonNull.field('nodes', {
      type: 'ModelTreeNode',
      resolve: (tr) => tr.nodes,
    });
    t.nonNull.list.nonNull.field('edges', { type: 'LineageEdge' });
    t.nonNull.int('size', { resolve: (tr) => tr.nodes.length });
  },
});

export const TreeQuery = extendType({
  type: 'Query',
  definition(t) {
    t.field('modelTree', {
      type: 'ModelTree',
      description: 'The tree under `root` (id or owner/name), `depth` generations deep, in one round trip.',
      args: { root: nonNull(stringArg()), depth: intArg({ default: 8 }) },
      resolve: async (_r, { root, depth }, ctx) => {
        checkRead(ctx);
        const model = await findModel(ctx.services.registry, modelRef(root, 'root'), 'root');
        return treeSource(ctx, model.id, depth ?? 8);
      },
    });
  },
});
