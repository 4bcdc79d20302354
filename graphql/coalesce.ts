// Identical anonymous GraphQL requests that arrive while one of them is executing share its
// response. Apollo's response cache serves repeats for 2 s, but when an entry expires every
// request in flight misses at once and each runs the resolvers and SQL (a thundering herd that
// made the p99 of a busy catalog page ten times its median). Apollo has no request coalescing,
// so this middleware adds only that: it stores nothing once the leader has answered.
import type { NextFunction, Request, Response } from 'express';

interface Shared {
  status: number;
  headers: Array<[string, string | number | string[]]>;
  body: string;
}

const SHARED_HEADERS = ['content-type', 'cache-control', 'vary'];

export function coalesceAnonymousReads() {
  const inFlight = new Map<string, Promise<Shared | null>>();
  return (req: Request, res: Response, next: NextFunction): void => {
    const body = req.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    // Only anonymous reads: a token's answer depends on its role, and mutations must each run.
    if (req.method !== 'POST' || req.headers.authorization || typeof body?.query !== 'string' || /^\s*mutation\b/.test(body.query)) {
      next();
      return;
    }
    // Everything the response depends on: the operation, and the headers Apollo negotiates on.
    const key = JSON.stringify([
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
      done(
        typeof payload === 'string'
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
