// The catalog listing as a Relay connection (cursor = the model's database id).
import { arg, booleanArg, extendType, inputObjectType, intArg, objectType, stringArg } from 'nexus';
import { listModels, MAX_PAGE } from '../../src/registry/models.js';
import { checkRead } from '../auth.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

export const ModelFilter = inputObjectType({
  name: 'ModelFilter',
  definition(t) {
    t.string('search', {
      description:
        'Matches owner/name, description, a tag, or how the model was made (a method such as "sparsity", a relation such as "width-pruned"), in part and ignoring case.',
    });
    t.list.nonNull.string('architecture', {
      description: 'Any of these, each matched in part and ignoring case ("llama" finds LlamaForCausalLM).',
    });
    t.list.nonNull.field('relation', { type: 'Relation', description: 'Relation of the edge from a parent.' });
    t.list.nonNull.string('method', { description: 'Recipe method of the edge from a parent: mlp-width, depth, sparsity, vocab.' });
    t.list.nonNull.string('license', { description: 'Any of these, each matched in part and ignoring case.' });
    t.list.nonNull.field('status', { type: 'ModelStatus' });
    t.field('kind', { type: 'ModelKind' });
    t.bigint('minParameters');
    t.bigint('maxParameters');
  },
});

export const ModelOrder = inputObjectType({
  name: 'ModelOrder',
  definition(t) {
    t.nonNull.field('field', { type: 'ModelOrderField' });
    t.nonNull.field('direction', { type: 'SortDirection', default: 'DESC' });
  },
});

export const PageInfo = objectType({
  name: 'PageInfo',
  definition(t) {
    t.nonNull.boolean('hasNextPage');
    t.nonNull.boolean('hasPreviousPage');
    t.string('startCursor');
    t.string('endCursor');
  },
});

export const ModelEdge = objectType({
  name: 'ModelEdge',
  sourceType: { ...sources, export: 'ModelSource' },
  definition(t) {
    t.nonNull.string('cursor', { resolve: (m) => m.id });
    t.nonNull.field('node', { type: 'Model', resolve: (m) => m });
  },
});

export const ModelConnection = objectType({
  name: 'ModelConnection',
  sourceType: { module: sources.module, export: 'ModelPageSource' },
  definition(t) {
    t.nonNull.list.nonNull.field('edges', { type: 'ModelEdge', resolve: (p) => p.rows });
    t.nonNull.list.nonNull.field('nodes', { type: 'Model', resolve: (p) => p.rows });
    t.nonNull.field('pageInfo', {
      type: 'PageInfo',
      resolve: (p) => ({
        hasNextPage: p.hasNextPage,
        hasPreviousPage: p.after !== null,
        startCursor: p.rows[0]?.id ?? null,
        endCursor: p.rows.at(-1)?.id ?? null,
      }),
    });
    t.nonNull.int('totalCount', { resolve: (p) => p.totalCount() });
  },
});

export const ModelsQuery = extendType({
  type: 'Query',
  definition(t) {
    t.nonNull.field('models', {
      type: 'ModelConnection',
      description: `Models, filtered and sorted, ${MAX_PAGE} at most per page.`,
      args: {
        filter: arg({ type: 'ModelFilter' }),
        orderBy: arg({ type: 'ModelOrder' }),
        first: intArg({ default: 20 }),
        after: stringArg(),
        includeArchived: booleanArg({ default: false }),
      },
      extensions: {
        complexity: ({ args, childComplexity }: { args: { first?: number }; childComplexity: number }) =>
          2 + childComplexity * (args.first ?? 20),
      },
      resolve: async (_r, args, ctx) => {
        checkRead(ctx);
        const filter = { ...(args.filter ?? {}) };
        if (!args.includeArchived && !filter.status) filter.status = ['QUEUED', 'PROCESSING', 'EVALUATING', 'READY', 'FAILED'];
        const page = await listModels(ctx.services.registry, { filter, orderBy: args.orderBy, first: args.first, after: args.after });
        return { ...page, after: args.after ?? null };
      },
    });
  },
});
