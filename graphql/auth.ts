// Authorisation in one place: every mutation calls requireRole before doing anything.
import { realpath } from 'node:fs/promises';
import { ForbiddenError, UnauthenticatedError } from '../src/errors.js';
import { makeRedactor } from '../src/registry/redact.js';
import { roleAtLeast, type TokenRole, type Viewer } from '../src/registry/tokens.js';
import type { Context } from './context.js';

export function requireRole(ctx: Context, role: TokenRole): Viewer {
  if (ctx.badToken) throw new UnauthenticatedError('the API token is unknown, revoked or expired');
  if (!ctx.viewer) throw new UnauthenticatedError();
  if (!roleAtLeast(ctx.viewer.role, role)) {
    throw new ForbiddenError(
      `this needs the ${role.toLowerCase()} role; the token "${ctx.viewer.name}" is ${ctx.viewer.role.toLowerCase()}`,
      {
        needed: role,
      },
    );
  }
  return ctx.viewer;
}

/** Reads: open unless BONSAI_PUBLIC_READS=false, in which case any valid token will do. */
export function checkRead(ctx: Context): void {
  if (ctx.badToken) throw new UnauthenticatedError('the API token is unknown, revoked or expired');
  if (!ctx.services.publicReads && !ctx.viewer) throw new UnauthenticatedError('reads need an API token on this server');
}

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
