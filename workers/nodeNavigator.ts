// Node 21 and later define `navigator` (userAgent `Node.js/<major>`); Node 20 does not. pg (and
// through it Prisma's adapter and the heartbeat thread) asks whether it runs in a Cloudflare
// Worker when it loads: with no `navigator` it builds a `Response`, which loads Node's bundled
// undici, about 0.05 CPU-s of each job process's 0.55 (issue 28, bench/job-start.ts). Every
// package a job loads reads `navigator` only to recognise Cloudflare (checked in the job bundle),
// so the one Node 21 defines changes nothing else.

/** Defines `navigator` as Node 21 does, where Node has none; before pg is loaded. */
export function defineNodeNavigator(): void {
  const g = globalThis as { navigator?: unknown };
  if (g.navigator !== undefined) return;
  Object.defineProperty(g, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
    writable: true,
  });
}
