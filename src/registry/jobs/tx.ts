import type { PrismaClient } from '../../db/client.js';

/** A Prisma transaction client. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
