// Who is calling and what they may do, for every way in (GraphQL, the Hub's routes, the card
// route): one bearer-token reading, one rule for reads and one for roles.
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RegistryDeps } from './deps.js';
import { bearerSecret, roleAtLeast, type TokenRole, type Viewer, verifyToken } from './tokens.js';

/** The server's process-wide services, which every request handler is given. */
export interface Services {
  log: Logger;
  version: string;
  embeddedDatabase: boolean;
  /** The registry's services: every read and write of the API goes through them (src/registry/). */
  registry: RegistryDeps;
  /** Queries without a token are allowed (BONSAI_PUBLIC_READS); mutations always need one. */
  publicReads: boolean;
}

export interface Identity {
  services: Pick<Services, 'publicReads'>;
  viewer: Viewer | null;
  /** A bearer token was sent but is unknown, revoked or expired. */
  badToken: boolean;
}

/** The caller of a request from its Authorization header (RFC 6750 bearer token, or none). */
export async function identify(services: Services, authorization?: string | null): Promise<Identity> {
  const secret = bearerSecret(authorization);
  if (secret === null) return { services, viewer: null, badToken: true };
  if (!secret) return { services, viewer: null, badToken: false };
  const viewer = await verifyToken(services.registry, secret);
  return { services, viewer, badToken: viewer === null };
}

export function requireRole(who: Identity, role: TokenRole): Viewer {
  if (who.badToken) throw new UnauthenticatedError('the API token is unknown, revoked or expired');
  if (!who.viewer) throw new UnauthenticatedError();
  if (!roleAtLeast(who.viewer.role, role)) {
    throw new ForbiddenError(
      `this needs the ${role.toLowerCase()} role; the token "${who.viewer.name}" is ${who.viewer.role.toLowerCase()}`,
      {
        needed: role,
      },
    );
  }
  return who.viewer;
}

/** Reads: open unless BONSAI_PUBLIC_READS=false, in which case any valid token will do. */
export function checkRead(who: Identity): void {
  if (who.badToken) throw new UnauthenticatedError('the API token is unknown, revoked or expired');
  if (!who.services.publicReads && !who.viewer) throw new UnauthenticatedError('reads need an API token on this server');
}
