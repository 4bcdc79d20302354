// Relay's Node interface: every object with a global id can be fetched again with node(id).
import { extendType, idArg, interfaceType, nonNull } from 'nexus';
import { findEdge, findEvaluation } from '../../src/registry/rows.js';
import { checkRead } from '../auth.js';
import { fromGlobalId } from '../globalId.js';

export const Node = interfaceType({
  name: 'Node',
  definition(t) {
    t.nonNull.id('id', { description: 'Global id (opaque).' });
  },
  resolveType: (source) => (source as { __typename?: 'Model' }).__typename ?? null,
});

export const NodeQuery = extendType({
  type: 'Query',
  definition(t) {
    t.field('node', {
      type: 'Node',
      args: { id: nonNull(idArg()) },
      resolve: async (_root, { id }, ctx) => {
        checkRead(ctx);
        const g = fromGlobalId(id);
        const row =
          g.type === 'Model'
            ? await ctx.loaders.model.load(g.id)
            : g.type === 'Job'
              ? await ctx.loaders.job.load(g.id)
              : g.type === 'LineageEdge'
                ? await findEdge(ctx.services.registry, g.id)
                : g.type === 'Evaluation'
                  ? await findEvaluation(ctx.services.registry, g.id)
                  : null;
        return row ? { ...row, __typename: g.type } : null;
      },
    });
  },
});
