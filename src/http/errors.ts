// JSON errors for every HTTP route of the server, GraphQL's included when the request never reaches
// Apollo (a malformed body, a bad URL). Express's own final handler answers an HTML page with the
// stack trace, and so the install path, outside production; here every error is JSON with a code,
// a client's mistake is its 4xx, and anything else is a masked 500 whose errorId ties it to the log
// (as graphql/errors.ts does for GraphQL). The body carries the message twice, where each kind of
// client reads it: `errors[0].extensions.code` as in a GraphQL response, and `error` as the Hub's
// clients read it (huggingface_hub's hf_raise_for_status, huggingface.js's createApiError).
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import { GraphQLError } from 'graphql';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../db/unavailable.js';
import { BonsaiError, httpStatusOfCode } from '../errors.js';
import type { Logger } from '../log.js';

export interface HttpError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Codes for the 4xx statuses that express, body-parser and serve-static raise themselves. */
const CODE_OF_STATUS: Record<number, string> = {
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

export function sendError(res: Response, error: HttpError): void {
  const { status, code, message, details = {}, headers = {} } = error;
  res
    .status(status)
    .set({ ...headers, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' })
    .json({ error: message, errors: [{ message, extensions: { code, ...details } }] });
}

/** An http-errors error (express, body-parser, serve-static, the router): its status and `type`. */
interface ExpressError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  limit?: unknown;
  length?: unknown;
  charset?: unknown;
  encoding?: unknown;
  body?: unknown;
}

const bytes = (n: unknown) => (typeof n === 'number' ? `${n.toLocaleString('en-US')} bytes` : 'the limit');

/**
 * A client's mistake that express or body-parser found, with a message written here: theirs may
 * name server paths (serve-static's ENOENT carries the file's absolute path).
 */
function expressClientError(err: unknown): HttpError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as ExpressError;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  if (status < 400 || status > 499) return null;
  // The router's decodeURIComponent of a path parameter (express 5, router's decodeParam).
  if (err instanceof URIError)
    return { status: 400, code: 'BAD_REQUEST', message: 'the URL is not valid percent-encoded UTF-8 (RFC 3986)' };
  switch (e.type) {
    case 'entity.parse.failed':
      return {
        status: 400,
        code: 'BAD_REQUEST',
        message: `the request body is not valid JSON (${err instanceof Error ? err.message.slice(0, 200) : 'parse failed'})`,
      };
    case 'entity.too.large':
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: `the request body is larger than the limit of ${bytes(e.limit)}`,
        details: { limit: e.limit },
      };
    case 'charset.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: `the request body's charset is not supported (use utf-8)` };
    case 'encoding.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: `the request body's Content-Encoding is not supported` };
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, code: 'BAD_REQUEST', message: 'the request body ended before its Content-Length' };
  }
  return { status, code: CODE_OF_STATUS[status] ?? 'BAD_REQUEST', message: STATUS_CODES[status] ?? 'bad request' };
}

/** Any thrown value as the error a client gets; `null` when it is the server's fault. */
export function clientError(err: unknown): HttpError | null {
  const status = err instanceof BonsaiError ? httpStatusOfCode(err.code) : undefined;
  // A BonsaiError whose status is 500 (a bad setting, a locked folder) is the server's fault: masked below.
  if (err instanceof BonsaiError && status !== undefined && status !== 500) {
    return {
      status,
      code: err.code,
      message: err.message,
      details: err.details,
      headers: {
        ...(status === 503 ? { 'retry-after': '5' } : {}),
        // The Hub's clients tell a missing repository, revision and file apart by this header.
        ...(typeof err.details.hubErrorCode === 'string' ? { 'x-error-code': err.details.hubErrorCode } : {}),
      },
    };
  }
  // The token check (createContext) or a query could not reach the database.
  if ((err instanceof GraphQLError && err.extensions.code === 'DATABASE_UNAVAILABLE') || isDatabaseUnavailable(err)) {
    const e = new DatabaseUnavailableError();
    return { status: 503, code: e.code, message: e.message, headers: { 'retry-after': '5' } };
  }
  return expressClientError(err);
}

/** A response the client broke off (a download stopped half-way): nothing to answer, no server fault. */
export function isClientGone(err: unknown): boolean {
  return ['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'ECONNABORTED', 'EPIPE'].includes((err as NodeJS.ErrnoException)?.code ?? '');
}

/** The app's last handler: every error becomes JSON; a response already under way is cut off. */
export function jsonErrorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // Headers (and part of a file) are out: the connection is cut, so the client sees a short body,
    // never a complete-looking one. The failure is logged here, once, with the request (express's
    // final handler printed a bare stack, twice for a pipeline), unless the client itself left.
    if (res.headersSent) {
      if (!isClientGone(err))
        log.error(
          `error after the response began on ${req.method} ${req.originalUrl.slice(0, 200)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      res.destroy();
      return;
    }
    const known = clientError(err);
    if (known) return sendError(res, known);
    const errorId = randomUUID();
    log.error(
      `unexpected error ${errorId} on ${req.method} ${req.originalUrl.slice(0, 200)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    sendError(res, {
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
      message: `internal server error (error id ${errorId})`,
      details: { errorId },
    });
  };
}
