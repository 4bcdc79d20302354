// The per-request context: built fresh for each request, so nothing (DataLoaders, identity)
// leaks from one caller to another. Process-wide services come in through `Services`.
import type { PrismaClient } from '../src/db/client.js';
import type { Logger } from '../src/log.js';

export interface Services {
  prisma: PrismaClient;
  log: Logger;
  version: string;
  embeddedDatabase: boolean;
}

export interface Context {
  services: Services;
}

export function createContext(services: Services): Context {
  return { services };
}
