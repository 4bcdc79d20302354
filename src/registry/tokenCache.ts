// Verified tokens, remembered for a few seconds in the process: a request with a token otherwise
// costs a database round trip before anything else runs, which cut authenticated throughput to a
// third of anonymous (bench:api). Unknown tokens are remembered too, so a flood of bad tokens does
// not reach the database either. A revocation through this process takes effect at once; one made
// by another process (a second server, `bonsai token revoke`) within TOKEN_CACHE_TTL_MS.
import type { PrismaClient } from '../db/client.js';

export const TOKEN_CACHE_TTL_MS = 5_000;
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

  set(hash: string, viewer: V | null, expiresAt: Date | null, now = Date.now()): void {
    // A simple bound: the cache is a few seconds deep, so dropping it all when full costs little.
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(hash, { viewer, expiresAt: expiresAt?.getTime() ?? null, cachedAt: now });
  }

  /** Forgets a token at once (revoked in this process). */
  forget(tokenId: string): void {
    for (const [hash, e] of this.entries) if (e.viewer?.tokenId === tokenId) this.entries.delete(hash);
  }
}

const caches = new WeakMap<PrismaClient, TokenCache<never>>();

/** The cache of the registry behind this client (one per database connection pool). */
export function tokenCacheOf<V extends { tokenId: string }>(prisma: PrismaClient): TokenCache<V> {
  let cache = caches.get(prisma);
  if (!cache) {
    cache = new TokenCache<never>();
    caches.set(prisma, cache);
  }
  return cache as unknown as TokenCache<V>;
}
