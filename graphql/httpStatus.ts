// GraphQL-over-HTTP answers 200 for errors raised while executing; the database being down (503)
// and a full artifact store (507) say something about the server, which a monitor reads from the
// status, so those two set it (the statuses: src/errors.ts, one table for the routes and the API).
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { httpStatusOfCode } from '../src/errors.js';

export function unavailable(): GraphQLError {
  return new GraphQLError('the database is not reachable right now; try again in a few seconds', {
    extensions: { code: 'DATABASE_UNAVAILABLE', http: { status: 503, headers: new Map([['retry-after', '5']]) } },
  });
}

// It reads only the response, never the context, so it takes any (and graphql/context.ts, which
// raises `unavailable()`, is not imported back).
export function httpStatusPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          for (const e of response.body.singleResult.errors ?? []) {
            const status = httpStatusOfCode(e.extensions?.code);
            if (status === 503 || status === 507) {
              response.http.status = status;
              if (status === 503) response.http.headers.set('retry-after', '5');
              return;
            }
          }
        },
      };
    },
  };
}
