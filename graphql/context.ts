// The per-request context: built fresh for each request, so nothing (DataLoaders, identity)
// leaks from one caller to another. Process-wide services come in through `Services`.
import { randomUUID } from 'node:crypto';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { identify, type Services } from '../src/registry/access.js';
import type { Viewer } from '../src/registry/tokens.js';
import { unavailable } from './httpStatus.js';
import { createLoaders, type Loaders } from './loaders.js';

export type { Services } from '../src/registry/access.js';

export interface Context {
  services: Services;
  viewer: Viewer | null;
  /** A bearer token was sent but is unknown, revoked or expired. */
  badToken: boolean;
  loaders: Loaders;
  requestId: string;
}

export async function createContext(services: Services, authorization?: string | null): Promise<Context> {
  try {
    const { viewer, badToken } = await identify(services, authorization);
    return { services, viewer, badToken, loaders: createLoaders(services.registry), requestId: randomUUID() };
  } catch (err) {
    // A token cannot be checked without the database: 503, so clients retry, not re-authenticate.
    if (isDatabaseUnavailable(err)) throw unavailable();
    throw err;
  }
}
