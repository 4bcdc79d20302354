// Single rows by id, for the API's node(id) lookups.
import type { RegistryDeps } from './deps.js';

export function findEdge(deps: Pick<RegistryDeps, 'prisma'>, id: string) {
  return deps.prisma.lineageEdge.findUnique({ where: { id } });
}

export function findEvaluation(deps: Pick<RegistryDeps, 'prisma'>, id: string) {
  return deps.prisma.evaluation.findUnique({ where: { id } });
}
