// The HTTP side of graphql/variableDepth.ts's bounds: the middleware that answers a GraphQL
// request nested too deep before anything reads its body. It lives with the routes (it answers
// with src/http/errors.ts), so graphql/ keeps the rules and imports nothing from HTTP.
import type { RequestHandler } from 'express';
import { fragmentCount, MAX_FRAGMENTS, MAX_QUERY_NESTING, queryTooDeep, tooDeepMessage, tooDeepPart } from '../../graphql/variableDepth.js';
import { sendError } from './errors.js';

/**
 * After express.json, before anything reads the body (coalesce.ts, Apollo): a document or a
 * variable nested too deep is 400 BAD_USER_INPUT naming `query` or the variable.
 */
export function boundVariableDepth(): RequestHandler {
  return (req, res, next) => {
    if (queryTooDeep((req.body as { query?: unknown } | undefined)?.query))
      return sendError(res, {
        status: 400,
        code: 'BAD_USER_INPUT',
        message: `query: nested more than ${MAX_QUERY_NESTING} levels deep (selections and literals together)`,
        details: { field: 'query' },
      });
    if (fragmentCount((req.body as { query?: unknown } | undefined)?.query) > MAX_FRAGMENTS)
      return sendError(res, {
        status: 400,
        code: 'BAD_USER_INPUT',
        message: `query: defines more than ${MAX_FRAGMENTS} fragments`,
        details: { field: 'query' },
      });
    const part = tooDeepPart(req.body);
    if (!part) return next();
    sendError(res, { status: 400, code: 'BAD_USER_INPUT', message: tooDeepMessage(part), details: { field: part } });
  };
}
