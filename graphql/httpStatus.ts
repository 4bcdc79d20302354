// HTTP statuses for errors that are not the client's fault and not a bug: the database is down
// (503 Service Unavailable, so clients and load balancers retry) or the artifact store is full
// (507 Insufficient Storage, RFC 4918). GraphQL-over-HTTP answers 200 for errors raised while
// executing; these two say something about the server, which a monitor reads from the status.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';

export const STATUS_OF_CODE: Record<string, number> = { DATABASE_UNAVAILABLE: 503, STORAGE_FULL: 507 };

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
            const status = STATUS_OF_CODE[String(e.extensions?.code)];
            if (status) {
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
