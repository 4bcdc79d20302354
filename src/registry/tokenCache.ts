// Verified tokens, remembered for a few seconds in the process: a request with a token otherwise
// costs a database round trip before anything else runs, which cut authenticated throughput to a
// third of anonymous (bench:api). Unknown tokens are remembered too, so a flood of bad tokens does
// not reach the database either. A revocation takes effect at once in the process that made it
// (forget), and in every other one (a second server; `bonsai token revoke` took up to the TTL) as
// soon as the PostgreSQL NOTIFY sent in the revoking transaction arrives, which each cache LISTENs
// for (Postgres delivers it after the commit: milliseconds, not the TTL). Only
// while that listening connection is down (a database restart) is the bound TOKEN_CACHE_TTL_MS,
// and the cache is emptied when it comes back.
import { listenBeside, type PrismaClient } from '../db/client.js';

export const TOKEN_CACHE_TTL_MS = 5_000;
/** The channel revocations are announced on (tokens.ts). */
export const REVOKED_CHANNEL = 'bonsai_token_revoked';
const MAX_ENTRIES = 10_000;

export interface CachedViewer<V> {
  viewer: V | null;
  /** When the token itself expires (ms since the epoch), if it does. */
  expiresAt: number | null;
  cachedAt: number;
}

export class TokenCache<V extends { tokenId: string }> {
  private readonly entries = new Map<string, CachedViewer<V>>();
  private readonly pending = new Map<string, Promise<V | null>>();
  /** Bumped by every forget: a lookup that read the row before a revocation must not cache it after. */
  private generation = 0;

  /** Pass to `set` what this returned before the lookup's read. */
  get epoch(): number {
    return this.generation;
  }

  /** Runs `lookUp` once for concurrent misses of the same token. */
  once(hash: string, lookUp: () => Promise<V | null>): Promise<V | null> {
    let p = this.pending.get(hash);
    if (!p) {
      p = lookUp().finally(() => this.pending.delete(hash));
      this.pending.set(hash, p);
    }
    return p;
  }

  get(hash: string, now = Date.now()): V | null | undefined {
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (now - e.cachedAt > TOKEN_CACHE_TTL_MS || (e.expiresAt !== null && e.expiresAt <= now)) {
      this.entries.delete(hash);
      return undefined;
    }
    return e.viewer;
  }

  set(hash: string, viewer: V | null, expiresAt: Date | null, epoch = this.generation, now = Date.now()): void {
    if (epoch !== this.generation) return;
    // A simple bound: the cache is a few seconds deep, so dropping it all when full costs little.
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(hash, { viewer, expiresAt: expiresAt?.getTime() ?? null, cachedAt: now });
  }

  /** Forgets a token at once (revoked in this process, or announced by another). */
  forget(tokenId: string): void {
    this.generation++;
    for (const [hash, e] of this.entries) if (e.viewer?.tokenId === tokenId) this.entries.delete(hash);
  }

  /** Forgets everything (revocations may have been missed). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}

const caches = new WeakMap<PrismaClient, TokenCache<never>>();

const listening = new WeakSet<PrismaClient>();

/**
 * The cache of the registry behind this client (one per database connection pool). `listen`: the
 * verifying side starts listening for other processes' revocations on first use.
 */
export function tokenCacheOf<V extends { tokenId: string }>(prisma: PrismaClient, options: { listen?: boolean } = {}): TokenCache<V> {
  let cache = caches.get(prisma);
  if (!cache) {
    cache = new TokenCache<never>();
    caches.set(prisma, cache);
  }
  if (options.listen && !listening.has(prisma)) {
    listening.add(prisma);
    const c = cache;
    listenBeside(prisma, REVOKED_CHANNEL, { onMessage: (id) => c.forget(id), onConnect: () => c.clear() });
  }
  return cache as unknown as TokenCache<V>;
}
