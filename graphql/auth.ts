// Authorisation: every mutation calls requireRole before doing anything; the rules are the
// registry's (src/registry/access.ts), shared with the HTTP routes.
import { realpath } from 'node:fs/promises';
import { makeRedactor } from '../src/registry/redact.js';
import { roleAtLeast } from '../src/registry/tokens.js';

export { checkRead, requireRole } from '../src/registry/access.js';

import type { Context } from './context.js';

const redactors = new WeakMap<object, Promise<(text: string) => string>>();
const unchanged = async () => (text: string) => text;

/**
 * Maintainers and admins see server paths as they are; everyone else sees them relative to the
 * import root they lie in, or not at all (src/registry/redact.ts). Roots are matched as given and
 * with their links resolved, since stored paths are real paths.
 */
export function pathRedactor(ctx: Context): Promise<(text: string) => string> {
  if (ctx.viewer && roleAtLeast(ctx.viewer.role, 'MAINTAINER')) return unchanged();
  const { registry } = ctx.services;
  let redactor = redactors.get(registry);
  if (!redactor) {
    const real = (p: string) => realpath(p).catch(() => p);
    redactor = Promise.all([Promise.all(registry.modelRoots.map(real)), real(registry.store.root)]).then(([realRoots, realStore]) =>
      makeRedactor({ modelRoots: [...registry.modelRoots, ...realRoots], storeRoots: [registry.store.root, realStore] }),
    );
    redactors.set(registry, redactor);
  }
  return redactor;
}
