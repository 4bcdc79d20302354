// Authorisation in one place: every mutation calls requireRole before doing anything.
import { ForbiddenError, UnauthenticatedError } from '../src/errors.js';
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
