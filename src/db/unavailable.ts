// Is an error "the database cannot be reached right now" rather than a fault of the request or
// the code? Such errors become DATABASE_UNAVAILABLE (HTTP 503) for API clients, whatever layer
// they surface in: Prisma's connection errors (P1001 can't reach, P1002 timed out, P1017 server
// closed the connection, P2024 pool timeout), the pg driver adapter's error kinds, socket errors,
// node-postgres's code-less "Connection terminated…" errors, and PostgreSQL's shutdown and
// connection SQLSTATEs (classes 08 and 57P).
import { BonsaiError } from '../errors.js';

const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
const SQLSTATE = /^(08\d{3}|57P0[1-3])$/;
/**
 * node-postgres reports a server that went away mid-query without a code, by message only
 * (pg's client.js and its pool): these are the same outage as ECONNRESET.
 */
const PG_MESSAGES =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/;

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const o = e as {
      message?: unknown;
      code?: unknown;
      kind?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: { cause?: unknown } };
    };
    if (e instanceof BonsaiError) return e.code === 'DATABASE_UNAVAILABLE';
    if (typeof o.code === 'string' && (PRISMA_CODES.has(o.code) || ERRNO.has(o.code) || SQLSTATE.test(o.code))) return true;
    if (typeof o.kind === 'string' && ADAPTER_KINDS.has(o.kind)) return true;
    if (typeof o.message === 'string' && PG_MESSAGES.test(o.message)) return true;
    queue.push(o.cause, o.meta?.driverAdapterError?.cause, o.meta?.driverAdapterError);
  }
  return false;
}

export class DatabaseUnavailableError extends BonsaiError {
  constructor(options?: ErrorOptions) {
    super('DATABASE_UNAVAILABLE', 'the database is not reachable right now; try again in a few seconds', {}, options);
  }
}
