// The per-request context: built fresh for each request, so nothing (DataLoaders, identity)
// leaks from one caller to another. Process-wide services come in through `Services`.
import { randomUUID } from 'node:crypto';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import type { Logger } from '../src/log.js';
import type { RegistryDeps } from '../src/registry/deps.js';
import { bearerSecret, type Viewer, verifyToken } from '../src/registry/tokens.js';
import { unavailable } from './httpStatus.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface Services {
  log: Logger;
  version: string;
  embeddedDatabase: boolean;
  /** The registry's services: every read and write of the API goes through them (src/registry/). */
  registry: RegistryDeps;
  /** Queries without a token are allowed (BONSAI_PUBLIC_READS); mutations always need one. */
  publicReads: boolean;
}

export interface Context {
  services: Services;
  viewer: Viewer | null;
  /** A bearer token was sent but is unknown, revoked or expired. */
  badToken: boolean;
  loaders: Loaders;
  requestId: string;
}

export async function createContext(services: Services, authorization?: string | null): Promise<Context> {
  let viewer: Viewer | null = null;
  let badToken = false;
  const secret = bearerSecret(authorization);
  if (secret === null) badToken = true;
  if (secret) {
    try {
      viewer = await verifyToken(services.registry, secret);
    } catch (err) {
      // A token cannot be checked without the database: 503, so clients retry, not re-authenticate.
      if (isDatabaseUnavailable(err)) throw unavailable();
      throw err;
    }
    badToken = viewer === null;
  }
  return { services, viewer, badToken, loaders: createLoaders(services.registry), requestId: randomUUID() };
}
