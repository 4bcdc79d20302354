// Identical GraphQL reads that arrive while one of them is executing share its response. Apollo's
// response cache serves repeats for 2 s, but when an entry expires every request in flight misses
// at once and each runs the resolvers and SQL (a thundering herd that made the p99 of a busy
// catalog page ten times its median). Apollo has no request coalescing, so this middleware adds
// only that: it stores nothing once the leader has answered. Anonymous requests share with
// anonymous ones; requests with a valid token share with each other, and only a response that is
// the same for every reader (a public catalog response); a bad token never joins.
import type { NextFunction, Request, Response } from 'express';
import { bearerSecret, verifyToken } from '../src/registry/tokens.js';
import type { Services } from './context.js';

interface Shared {
  status: number;
  headers: Array<[string, string | number | string[]]>;
  body: string;
}

const SHARED_HEADERS = ['content-type', 'cache-control', 'vary'];

/** The group a request may share answers with: anonymous, a valid token, or none. */
async function groupOf(services: Services, authorization: string | undefined): Promise<'anonymous' | 'reader' | null> {
  const secret = bearerSecret(authorization);
  if (secret === undefined) return 'anonymous';
  if (!secret) return null;
  // Verified tokens are remembered for a few seconds (src/registry/tokenCache.ts): no extra round trip.
  const viewer = await verifyToken(services.registry, secret).catch(() => null);
  return viewer ? 'reader' : null;
}

export function coalesceReads(services: Services) {
  const inFlight = new Map<string, Promise<Shared | null>>();
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const body = req.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    // Mutations must each run.
    if (req.method !== 'POST' || typeof body?.query !== 'string' || /^\s*mutation\b/.test(body.query)) {
      next();
      return;
    }
    const group = await groupOf(services, req.headers.authorization);
    if (!group) {
      next();
      return;
    }
    // Everything the response depends on: who may see it, the operation, the negotiated headers.
    const key = JSON.stringify([
      group,
      body.query,
      body.variables ?? null,
      body.operationName ?? null,
      req.headers.accept ?? null,
      req.headers['apollo-require-preflight'] ?? null,
    ]);
    const pending = inFlight.get(key);
    if (pending) {
      pending.then((shared) => {
        if (!shared) return next();
        res.status(shared.status);
        for (const [k, v] of shared.headers) res.setHeader(k, v);
        res.send(shared.body);
      }, next);
      return;
    }
    let settle!: (s: Shared | null) => void;
    const mine = new Promise<Shared | null>((resolve) => {
      settle = resolve;
    });
    inFlight.set(key, mine);
    let finished = false;
    const done = (s: Shared | null) => {
      if (finished) return;
      finished = true;
      if (inFlight.get(key) === mine) inFlight.delete(key);
      settle(s);
    };
    const send = res.send.bind(res);
    res.send = (payload: unknown) => {
      // Readers with tokens share only what is the same for all of them: public catalog responses.
      const shareable = group === 'anonymous' || /\bpublic\b/.test(String(res.getHeader('cache-control') ?? ''));
      done(
        typeof payload === 'string' && shareable
          ? {
              status: res.statusCode,
              headers: SHARED_HEADERS.flatMap((h) => {
                const v = res.getHeader(h);
                return v === undefined ? [] : [[h, v] as [string, string | number | string[]]];
              }),
              body: payload,
            }
          : null,
      );
      return send(payload);
    };
    // A response that never reached send (an error, a closed socket) lets the others run themselves.
    res.on('close', () => done(null));
    next();
  };
}
