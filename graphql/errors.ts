// Error formatting for the API: our errors keep their code and details, GraphQL's own validation
// errors keep theirs, anything else is masked as INTERNAL_SERVER_ERROR (the original only in
// development). Formatting never throws.

import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../src/db/unavailable.js';
import { BonsaiError } from '../src/errors.js';
import type { Logger } from '../src/log.js';

export function makeFormatError(production: boolean, log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      const original = unwrapResolverError(error);
      if (!(original instanceof BonsaiError) && isDatabaseUnavailable(original)) {
        const e = new DatabaseUnavailableError();
        return { message: e.message, path: formatted.path, locations: formatted.locations, extensions: { code: e.code } };
      }
      if (original instanceof BonsaiError) {
        return { ...formatted, message: original.message, extensions: { code: original.code, ...original.details } };
      }
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
        // A client's mistake needs no server stack trace (it names our source paths), not even in development.
        const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
        return { ...formatted, extensions: production ? { code } : extensions };
      }
      // The id ties the client's message to the full error in the server log.
      const errorId = randomUUID();
      log.error(`unexpected error ${errorId}: ${original instanceof Error ? (original.stack ?? original.message) : String(original)}`);
      return {
        message: production ? `internal server error (error id ${errorId})` : formatted.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
      };
    } catch {
      return { message: 'internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  };
}
