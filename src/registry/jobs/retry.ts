// Retrying by hand: a failed or cancelled job runs again as a new Job row pointing back to it.
import { ConflictError } from '../../errors.js';
import type { RegistryDeps } from '../deps.js';
import { createJobIn, jobTransaction } from './create.js';
import { findJob } from './read.js';

export async function retryJob(deps: Pick<RegistryDeps, 'prisma' | 'queue'>, id: string, createdById: string | null) {
  const job = await findJob(deps.prisma, id);
  if (job.status !== 'FAILED' && job.status !== 'CANCELLED') {
    throw new ConflictError(`job ${id} is ${job.status.toLowerCase()}; only failed or cancelled jobs can be retried`, { field: 'id' });
  }
  if (!job.modelId) throw new ConflictError(`job ${id} has no model any more`);
  const modelId = job.modelId;
  return jobTransaction(deps, async (tx) => {
    if (job.kind === 'PRUNE') await tx.model.updateMany({ where: { id: modelId, artifactId: null }, data: { status: 'QUEUED' } });
    return createJobIn(deps, tx, {
      kind: job.kind,
      modelId,
      payload: job.payload as Record<string, unknown>,
      parentJobId: job.id,
      createdById,
    });
  });
}
