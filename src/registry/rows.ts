// Single rows by id, for the API's node(id) lookups.
import type { PrismaClient } from '../db/client.js';

export function findEdge(prisma: PrismaClient, id: string) {
  return prisma.lineageEdge.findUnique({ where: { id } });
}

export function findEvaluation(prisma: PrismaClient, id: string) {
  return prisma.evaluation.findUnique({ where: { id } });
}
