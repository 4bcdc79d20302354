// Error formatting for the API: our errors keep their code and details, GraphQL's own validation
// errors keep theirs, anything else is masked as INTERNAL_SERVER_ERROR (the original only in
// development). Formatting never throws.

import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../src/db/unavailable.js';
import { BonsaiError } from '../src/errors.js';
import type { Logger } from '../src/log.js';

/**
 * graphql-js's "Did you mean …?" hints name fields and enum values that introspection hides in
 * production. Apollo's hideSchemaDetailsFromClientErrors strips them from validation errors only
 * (its DisableSuggestions plugin, with this expression); a bad variable's coercion error
 * (`pruningFractoin`, `admn`) carries them too.
 */
export const withoutSuggestions = (message: string) => message.replace(/ ?Did you mean(.+?)\?$/, '');

/**
 * The code of a client's mistake, or null for the server's. Apollo raises a few request errors
 * with an HTTP 4xx but no code (an unsupported persisted query version, a hash that does not match
 * the query), which its formatting labels INTERNAL_SERVER_ERROR: they are BAD_REQUEST.
 */
function clientCode(formatted: GraphQLFormattedError, error: unknown): string | null {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return code;
  if (error instanceof GraphQLError && error.extensions.code === undefined) {
    const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) return 'BAD_REQUEST';
  }
  return null;
}

/**
 * Characters of an error message a client gets. Messages quote what the client sent (`id: "…" is
 * not an id from this API`), and a megabyte-long id came back whole, a second megabyte to build
 * and send for a mistake.
 */
const MAX_MESSAGE = 2000;

const cut = (message: string) =>
  message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}… (${message.length.toLocaleString('en-US')} characters, cut)` : message;

export function makeFormatError(production: boolean, log: Logger) {
  const format = formatWith(production, log);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    return result.message.length > MAX_MESSAGE ? { ...result, message: cut(result.message) } : result;
  };
}

function formatWith(production: boolean, log: Logger) {
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
      const code = clientCode(formatted, error);
      if (code) {
        // A client's mistake needs no server stack trace (it names our source paths), not even in development.
        const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
        return production
          ? { ...formatted, message: withoutSuggestions(formatted.message), extensions: { code } }
          : { ...formatted, extensions: { ...extensions, code } };
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
