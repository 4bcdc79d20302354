// The body of a GraphQL request, read under the project's one JSON policy (src/formats/json.ts
// parseJsonBytes: strict UTF-8, as the Hub routes read theirs) instead of express.json, which
// decodes invalid UTF-8 to U+FFFD and so accepted bytes every other body of Bonsai refuses. The
// answers stay those src/http/errors.ts gives body-parser's errors: over 1 MB is 413
// PAYLOAD_TOO_LARGE, a charset other than UTF-8 415, text that is not UTF-8 JSON 400 BAD_REQUEST.
// Nesting: variableDepth.ts bounds each variable at 128 levels and names it; here only nesting too
// deep for that walk to be worth doing (JSON.parse of 1 MB of `[` blocks the loop for ~0.3 s) is
// refused outright, for the whole body.
import express, { type RequestHandler } from 'express';
import { tooDeepMessage } from '../../graphql/variableDepth.js';
import { JsonPolicyError, jsonDepth, parseJsonBytes } from '../formats/json.js';
import { sendError } from './errors.js';

export const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;
/** Past this the body is refused without naming the deep part (the surface tests nest 10⁴ levels). */
const NAMED_DEPTH_CEILING = 16_384;

/** A body-parser-shaped error, which errors.ts's expressClientError answers. */
const parserError = (status: number, type: string, message: string) => Object.assign(new Error(message), { status, type });

export function graphqlJsonBody(): RequestHandler[] {
  const raw = express.raw({ type: 'application/json', limit: MAX_GRAPHQL_BODY_BYTES });
  return [
    raw,
    (req, res, next) => {
      if (!Buffer.isBuffer(req.body)) return next();
      // express.json refused other charsets (415); express.raw does not look.
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
        return next(parserError(415, 'charset.unsupported', `unsupported charset "${charset.slice(0, 40)}"`));
      if (req.body.length === 0) {
        req.body = {};
        return next();
      }
      if (jsonDepth(req.body, NAMED_DEPTH_CEILING) > NAMED_DEPTH_CEILING)
        return sendError(res, {
          status: 400,
          code: 'BAD_USER_INPUT',
          message: tooDeepMessage('the request body'),
          details: { field: 'body' },
        });
      try {
        // The nesting was bounded just above: a second pass over up to 1 MB would find the same.
        req.body = parseJsonBytes(req.body, 'body', { maxBytes: MAX_GRAPHQL_BODY_BYTES, maxDepth: Number.POSITIVE_INFINITY });
      } catch (err) {
        if (!(err instanceof JsonPolicyError)) throw err;
        return next(parserError(400, 'entity.parse.failed', String(err.details.problem)));
      }
      next();
    },
  ];
}
