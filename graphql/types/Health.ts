import { enumType, extendType, objectType } from 'nexus';
import { checkDatabase } from '../../src/registry/health.js';

export const DatabaseStatus = enumType({
  name: 'DatabaseStatus',
  members: ['OK', 'UNAVAILABLE'],
});

export const Health = objectType({
  name: 'Health',
  description: 'Liveness of the server and of what it depends on.',
  definition(t) {
    t.nonNull.field('database', { type: 'DatabaseStatus' });
    t.float('databaseLatencyMs', { description: 'Round trip of `SELECT 1`, when the database answered.' });
    t.nonNull.boolean('embeddedDatabase', { description: 'True when Bonsai runs its own embedded Postgres.' });
    t.nonNull.string('version');
  },
});

export const HealthQuery = extendType({
  type: 'Query',
  definition(t) {
    t.nonNull.field('health', {
      type: 'Health',
      resolve: async (_root, _args, ctx) => {
        const db = await checkDatabase(ctx.services.registry);
        return {
          database: db.ok ? 'OK' : 'UNAVAILABLE',
          databaseLatencyMs: db.latencyMs,
          embeddedDatabase: ctx.services.embeddedDatabase,
          version: ctx.services.version,
        };
      },
    });
  },
});
