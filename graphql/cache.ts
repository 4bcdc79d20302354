// Anonymous catalog reads are cached for a couple of seconds (Apollo's response cache): a busy
// catalog page is then answered without running resolvers or SQL. Only responses made entirely
// of catalog types are cacheable; anything with a Job, a token or health in it has maxAge 0, so
// job progress is never stale. Requests with a token always run fresh.

import { maybeCacheControlFromInfo } from '@apollo/cache-control-types';
import type { ApolloServerPlugin } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { getNamedType } from 'graphql';
import type { Context } from './context.js';

export const CATALOG_MAX_AGE_SECONDS = 2;

const CATALOG_TYPES = new Set([
  'Model',
  'ModelConnection',
  'ModelEdge',
  'PageInfo',
  'LineageEdge',
  'RelationCount',
  'ModelFile',
  'Evaluation',
  'ModelTree',
  'ModelTreeNode',
  'PruningPlan',
  'ConfigChange',
  'ComponentParameters',
  'SparsityPlan',
]);

export function catalogCacheHints(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (!isAnonymous(contextValue)) {
        return {
          // Never cached: a restricted policy before execution also spares Apollo's cache-control
          // plugin its per-field bookkeeping, which costs a third of a 10,000-node tree query.
          async didResolveOperation({ overallCachePolicy }) {
            overallCachePolicy.restrict({ maxAge: 0 });
          },
        };
      }
      return {
        async executionDidStart() {
          return {
            willResolveField({ info }) {
              if (CATALOG_TYPES.has(getNamedType(info.returnType).name))
                maybeCacheControlFromInfo(info)?.setCacheHint({ maxAge: CATALOG_MAX_AGE_SECONDS });
            },
          };
        },
      };
    },
  };
}

function isAnonymous(ctx: Context): boolean {
  return ctx.viewer === null && !ctx.badToken;
}

const anonymous = async ({ contextValue }: { contextValue: Context }) => isAnonymous(contextValue);

export function catalogResponseCache(): ApolloServerPlugin<Context> {
  return responseCachePlugin<Context>({ shouldReadFromCache: anonymous, shouldWriteToCache: anonymous });
}
