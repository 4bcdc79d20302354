// Catalog reads are cached for a couple of seconds (Apollo's response cache): a busy catalog page
// is then answered without running resolvers or SQL. Only responses made entirely of catalog
// types are cacheable; anything with a Job, a token or health in it has maxAge 0, so job progress
// is never stale. A catalog response is the same for every reader, so anonymous callers (where
// reads are public) and callers with a valid token share the entries; a bad token, or no token on
// a server with BONSAI_PUBLIC_READS=false, never reads from the cache.

import type { ApolloServerPlugin } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { BREAK, type DocumentNode, type GraphQLSchema, getNamedType, isCompositeType, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
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

/**
 * Whether every field of the operation that returns an object returns a catalog type (leaf fields
 * inherit from their object; a leaf at the root, like `__typename`, is not catalog data). Decided
 * once per operation from the document, not per resolved field: Apollo's per-field cache hints
 * wrap every resolver of the schema for every request, which cost a tenth of a large tree query.
 */
export function isCatalogOperation(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let catalog = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const type = typeInfo.getType();
        const named = type ? getNamedType(type) : undefined;
        const atRoot = typeInfo.getParentType() === schema.getQueryType();
        if (!named || (isCompositeType(named) ? !CATALOG_TYPES.has(named.name) : atRoot)) {
          catalog = false;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return catalog;
}

/** Sets the cache policy: 2 s (or the server's setting) and public for catalog reads by anyone allowed to read, nothing otherwise. */
export function catalogCachePolicy(schema: GraphQLSchema, maxAgeSeconds = CATALOG_MAX_AGE_SECONDS): ApolloServerPlugin<Context> {
  const decided = new Map<string, boolean>();
  return {
    async requestDidStart({ contextValue }) {
      if (!mayRead(contextValue)) return {};
      return {
        async didResolveOperation({ document, queryHash, operationName, overallCachePolicy }) {
          const key = `${queryHash}\u0000${operationName ?? ''}`;
          let catalog = decided.get(key);
          if (catalog === undefined) {
            catalog = isCatalogOperation(schema, document);
            if (decided.size >= 1000) decided.clear();
            decided.set(key, catalog);
          }
          if (catalog) overallCachePolicy.replace({ maxAge: maxAgeSeconds, scope: 'PUBLIC' });
        },
        async willSendResponse({ overallCachePolicy, response }) {
          const policy = overallCachePolicy.policyIfCacheable();
          if (policy && response.body.kind === 'single' && !response.body.singleResult.errors)
            response.http.headers.set('cache-control', `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}`);
        },
      };
    },
  };
}

/** Allowed to read the catalog: a valid token, or none where reads are public. */
function mayRead(ctx: Context): boolean {
  if (ctx.badToken) return false;
  return ctx.viewer !== null || ctx.services.publicReads;
}

const readers = async ({ contextValue }: { contextValue: Context }) => mayRead(contextValue);

export function catalogResponseCache(): ApolloServerPlugin<Context> {
  return responseCachePlugin<Context>({ shouldReadFromCache: readers, shouldWriteToCache: readers });
}
