// Listing jobs, newest first, for the API and the catalog.
import type { JobKind, JobStatus } from '../../db/generated/enums.js';
import type { RegistryDeps } from '../deps.js';

export interface JobFilter {
  status?: readonly JobStatus[] | null;
  kind?: readonly JobKind[] | null;
  modelId?: string;
}

export async function listJobs(deps: Pick<RegistryDeps, 'prisma'>, filter: JobFilter, first: number) {
  return deps.prisma.job.findMany({
    where: {
      status: filter.status?.length ? { in: [...filter.status] } : undefined,
      kind: filter.kind?.length ? { in: [...filter.kind] } : undefined,
      modelId: filter.modelId,
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: first,
  });
}
