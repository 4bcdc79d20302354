import { arg, extendType, idArg, nonNull, objectType, stringArg } from 'nexus';
import { createToken, findToken, listTokens, revokeToken } from '../../src/registry/tokens.js';
import { requireRole } from '../auth.js';
import { idOf, toGlobalId } from '../globalId.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

export const ApiToken = objectType({
  name: 'ApiToken',
  sourceType: { ...sources, export: 'TokenSource' },
  description: 'A bearer token. Only its hash is stored; the secret is shown once, at creation.',
  definition(t) {
    t.implements('Node');
    t.nonNull.id('id', { resolve: (k) => toGlobalId('ApiToken', k.id) });
    t.nonNull.string('name');
    t.nonNull.string('prefix', { description: 'The first characters of the secret, to recognise it.' });
    t.nonNull.field('role', { type: 'TokenRole' });
    t.nonNull.dateTime('createdAt');
    t.dateTime('lastUsedAt');
    t.dateTime('expiresAt');
    t.dateTime('revokedAt');
  },
});

export const CreateApiTokenPayload = objectType({
  name: 'CreateApiTokenPayload',
  definition(t) {
    t.nonNull.string('secret', { description: 'Send as `Authorization: Bearer <secret>`. It cannot be shown again.' });
    t.nonNull.field('token', { type: 'ApiToken' });
  },
});

export const TokenQuery = extendType({
  type: 'Query',
  definition(t) {
    t.nonNull.list.nonNull.field('apiTokens', {
      type: 'ApiToken',
      description: 'All tokens (admin).',
      resolve: (_r, _a, ctx) => {
        requireRole(ctx, 'ADMIN');
        return listTokens(ctx.services.registry);
      },
    });
    t.field('viewer', {
      type: 'ApiToken',
      description: 'The token this request was made with, if any.',
      resolve: (_r, _a, ctx) => (ctx.viewer ? findToken(ctx.services.registry, ctx.viewer.tokenId) : null),
    });
  },
});

export const TokenMutations = extendType({
  type: 'Mutation',
  definition(t) {
    t.nonNull.field('createApiToken', {
      type: 'CreateApiTokenPayload',
      args: { name: nonNull(stringArg()), role: nonNull(arg({ type: 'TokenRole' })), expiresAt: arg({ type: 'DateTime' }) },
      resolve: async (_r, { name, role, expiresAt }, ctx) => {
        requireRole(ctx, 'ADMIN');
        const { secret, id } = await createToken(ctx.services.registry, { name, role, expiresAt });
        return { secret, token: (await findToken(ctx.services.registry, id))! };
      },
    });
    t.nonNull.field('revokeApiToken', {
      type: 'ApiToken',
      args: { id: nonNull(idArg()) },
      resolve: (_r, { id }, ctx) => {
        requireRole(ctx, 'ADMIN');
        return revokeToken(ctx.services.registry, idOf('ApiToken', id));
      },
    });
  },
});
