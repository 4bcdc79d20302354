import { extendType, intArg, objectType, stringArg } from 'nexus';
import { BadInputError } from '../../src/errors.js';
import { ancestors, descendantTree, MAX_TREE_DEPTH, pathToRoot, rootOf } from '../../src/registry/lineage.js';
import { findModel } from '../../src/registry/models.js';
import { formatModelName } from '../../src/registry/names.js';
import { findRevision } from '../../src/registry/revisions.js';
import { checkRead } from '../auth.js';
import { modelRef, toGlobalId } from '../globalId.js';
import { treeSource } from './Lineage.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

export const Model = objectType({
  name: 'Model',
  sourceType: { ...sources, export: 'ModelSource' },
  description: 'A checkpoint in the registry: a base model or a derivative, with its lineage.',
  definition(t) {
    t.implements('Node');
    t.nonNull.id('id', { resolve: (m) => toGlobalId('Model', m.id) });
    t.nonNull.string('databaseId', { resolve: (m) => m.id });
    t.nonNull.string('name', { description: '`owner/name`, as on the Hub.', resolve: (m) => `${formatModelName(m)}` });
    t.nonNull.string('owner');
    t.nonNull.string('shortName', { resolve: (m) => m.name });
    t.nonNull.field('kind', { type: 'ModelKind' });
    t.nonNull.field('status', { type: 'ModelStatus' });
    t.string('architecture', { description: 'First entry of config.json `architectures`, e.g. LlamaForCausalLM.' });
    t.bigint('parameterCount', { description: 'Exact, summed over the stored tensors (planned value while QUEUED).' });
    t.bigint('byteSize', { description: 'Bytes of the weight files.' });
    t.string('dtype');
    t.json('config', { description: 'config.json' });
    t.string('license');
    t.string('description');
    t.nonNull.list.nonNull.string('tags');
    t.nonNull.dateTime('createdAt');
    t.nonNull.dateTime('updatedAt');
    t.nonNull.list.nonNull.field('files', {
      type: 'ModelFile',
      description: 'The files of a revision: `main` (the current files), or a sha (or a prefix of at least 7) from `revisions`.',
      args: { revision: stringArg({ default: 'main' }) },
      resolve: async (m, args, ctx) => {
        if ((args.revision ?? 'main') === 'main') return m.artifactId ? ctx.loaders.files.load(m.artifactId) : [];
        const found = await findRevision(ctx.services.registry, m, args.revision!);
        return found ? ctx.loaders.files.load(found.artifactId) : [];
      },
    });
    t.nonNull.list.nonNull.field('parents', {
      type: 'LineageEdge',
      description: 'Edges to the models this one was made from (several for a merge).',
      resolve: (m, _a, ctx) => ctx.loaders.parentEdges.load(m.id),
    });
    t.nonNull.list.nonNull.field('children', {
      type: 'LineageEdge',
      resolve: (m, _a, ctx) => ctx.loaders.childEdges.load(m.id),
    });
    t.nonNull.list.nonNull.field('childCounts', {
      type: 'RelationCount',
      description: 'Direct children counted per relation.',
      resolve: (m, _a, ctx) => ctx.loaders.childCounts.load(m.id),
    });
    t.nonNull.list.nonNull.field('ancestors', {
      type: 'Model',
      description: 'Every ancestor, nearest first.',
      resolve: async (m, _a, ctx) =>
        loadAll(
          ctx,
          (await ancestors(ctx.services.registry, m.id)).map((n) => n.id),
        ),
    });
    t.nonNull.list.nonNull.field('pathToRoot', {
      type: 'Model',
      description: 'The line of first parents up to the root, this model first.',
      resolve: async (m, _a, ctx) => loadAll(ctx, await pathToRoot(ctx.services.registry, m.id)),
    });
    t.nonNull.list.nonNull.field('descendants', {
      type: 'Model',
      args: { depth: intArg({ default: MAX_TREE_DEPTH }) },
      resolve: async (m, { depth }, ctx) => {
        const tree = await descendantTree(ctx.services.registry, m.id, depth ?? MAX_TREE_DEPTH);
        return loadAll(
          ctx,
          tree.nodes.filter((n) => n.id !== m.id).map((n) => n.id),
        );
      },
    });
    t.nonNull.field('root', {
      type: 'Model',
      resolve: async (m, _a, ctx) => (await ctx.loaders.model.load(await rootOf(ctx.services.registry, m.id))) ?? m,
    });
    t.nonNull.field('tree', {
      type: 'ModelTree',
      description: 'This model and its descendants down to `depth` generations.',
      args: { depth: intArg({ default: 3 }) },
      resolve: (m, { depth }, ctx) => treeSource(ctx, m.id, depth ?? 3),
    });
    t.nonNull.list.nonNull.field('evaluations', {
      type: 'Evaluation',
      args: { task: stringArg() },
      resolve: async (m, { task }, ctx) => (await ctx.loaders.evaluations.load(m.id)).filter((e) => !task || e.task === task),
    });
    t.nonNull.list.nonNull.field('jobs', {
      type: 'Job',
      args: { first: intArg({ default: 10 }) },
      extensions: {
        complexity: ({ args, childComplexity }: { args: { first?: number }; childComplexity: number }) =>
          1 + childComplexity * (args.first ?? 10),
      },
      resolve: async (m, { first }, ctx) => (await ctx.loaders.jobs.load(m.id)).slice(0, Math.min(first ?? 10, 100)),
    });
  },
});

async function loadAll(ctx: import('../context.js').Context, ids: string[]) {
  const rows = await ctx.loaders.model.loadMany(ids);
  return rows.filter((r): r is import('../sources.js').ModelSource => r !== null && !(r instanceof Error));
}

export const ModelQuery = extendType({
  type: 'Query',
  definition(t) {
    t.field('model', {
      type: 'Model',
      description: 'A model by global id, database id or `owner/name`; null when there is none.',
      args: { id: stringArg(), name: stringArg() },
      resolve: async (_r, { id, name }, ctx) => {
        checkRead(ctx);
        const ref = id ?? name;
        if (!ref || (id && name)) throw new BadInputError('id', 'give exactly one of id, name');
        try {
          return await findModel(ctx.services.registry, modelRef(ref, id ? 'id' : 'name'), id ? 'id' : 'name');
        } catch (err) {
          if ((err as { code?: string }).code === 'NOT_FOUND') return null;
          throw err;
        }
      },
    });
  },
});

export const ModelFile = objectType({
  name: 'ModelFile',
  sourceType: { ...sources, export: 'FileSource' },
  definition(t) {
    t.nonNull.string('path');
    t.nonNull.string('sha256');
    t.nonNull.bigint('size');
  },
});

export const RelationCount = objectType({
  name: 'RelationCount',
  definition(t) {
    t.nonNull.field('relation', { type: 'Relation' });
    t.nonNull.int('count');
  },
});
