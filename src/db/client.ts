import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';
import { type Listener, type ListenHandlers, listen } from './listen.js';

export type { PrismaClient } from './generated/client.js';
export * as db from './generated/client.js';

export interface ClientOptions {
  poolSize?: number;
  /** Called with every SQL statement (tests count them to catch N+1 queries). */
  onQuery?: (sql: string) => void;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();
const queryListeners = new WeakMap<PrismaClient, (sql: string) => void>();
const closers = new WeakMap<PrismaClient, Array<() => Promise<void>>>();

/** One client per process: it owns the connection pool. */
export function createPrismaClient(url: string, options: ClientOptions = {}): PrismaClient {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle connection dropped by the server (a restart, an admin's terminate) is an 'error' on
  // the pool; pg removes the client and the next query opens a new one. Unhandled, it would end
  // the process.
  pool.on('error', () => {});
  const adapter = new PrismaPg(pool);
  const onQuery = options.onQuery;
  let client: PrismaClient;
  if (onQuery) {
    const logging = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
    logging.$on('query', (e) => onQuery(e.query));
    client = logging;
  } else {
    client = new PrismaClient({ adapter });
  }
  // The adapter does not own a pool it was given: end it with the client.
  const disconnect = client.$disconnect.bind(client);
  client.$disconnect = async () => {
    for (const close of closers.get(client) ?? []) await close().catch(() => {});
    closers.delete(client);
    await disconnect();
    if (!pool.ended) await pool.end();
  };
  pools.set(client, pool);
  if (onQuery) queryListeners.set(client, onQuery);
  return client;
}

/**
 * The client's own pg pool, for the few hot reads where Prisma's decoding of large raw results
 * costs several times the query (Prisma 7's query compiler; tree queries as raw recursive CTEs). Statements
 * sent here are reported to `onQuery` too.
 */
export async function rawQuery<R extends pg.QueryResultRow>(prisma: PrismaClient, text: string, values: unknown[]): Promise<R[]> {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('rawQuery needs a client made by createPrismaClient');
  const onQuery = queryListeners.get(prisma);
  onQuery?.(text);
  return (await pool.query<R>(text, values)).rows;
}

/**
 * A LISTEN on `channel` beside the client's pool (src/db/listen.ts), closed with the client; null
 * for a client not made by createPrismaClient.
 */
export function listenBeside(prisma: PrismaClient, channel: string, handlers: ListenHandlers): Listener | null {
  const pool = pools.get(prisma);
  if (!pool?.options.connectionString) return null;
  const listener = listen(pool.options.connectionString, channel, handlers);
  closers.set(prisma, [...(closers.get(prisma) ?? []), () => listener.close()]);
  return listener;
}
