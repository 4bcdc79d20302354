// Node 21 and later define `navigator` (userAgent `Node.js/<major>`); Node 20 does not. pg asks
// whether it runs in a Cloudflare Worker when it loads: with no `navigator` it builds a
// `Response`, which loads Node's bundled undici, about 0.05 CPU-s of each job process's 0.55
// (bench:job-start) and 0.1 of a `bonsai plan`'s 0.7 CPU-s (cpu profile), in every process and
// thread that opens the registry (issue 28). The global is the one every Node from 21 on has, so
// no package sees anything there that it does not see on those versions. Plain JavaScript: the
// `bonsai` executable and the job's heartbeat thread load it before any TypeScript loader.

/** Defines `navigator` as Node 21 does, where Node has none; call it before pg is loaded. */
export function defineNodeNavigator() {
  if (globalThis.navigator !== undefined) return;
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
    writable: true,
  });
}
