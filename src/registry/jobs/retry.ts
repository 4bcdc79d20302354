// Retrying by hand: a failed or cancelled job runs again as a new Job row pointing back to it.
// Once: the original's row is locked while its retry is created, so of two simultaneous retries
// the second sees the first's job and gets CONFLICT (both succeeded, and the model was pruned twice).
import { ConflictError } from '../../errors.js';
import type { RegistryDeps } from '../deps.js';
import { createJobIn, jobTransaction } from './create.js';
import { findJob } from './read.js';

export async function retryJob(deps: Pick<RegistryDeps, 'prisma' | 'queue'>, id: string, createdById: string | null) {
  await findJob(deps, id);
  return jobTransaction(deps, async (tx) => {
    // SELECT … FOR UPDATE: a concurrent retry of the same job waits here until this one commits.
    await tx.$queryRaw`SELECT id FROM "Job" WHERE id = ${id}::uuid FOR UPDATE`;
    const job = await tx.job.findUniqueOrThrow({ where: { id } });
    if (job.status !== 'FAILED' && job.status !== 'CANCELLED') {
      throw new ConflictError(`job ${id} is ${job.status.toLowerCase()}; only failed or cancelled jobs can be retried`, { field: 'id' });
    }
    if (!job.modelId) throw new ConflictError(`job ${id} has no model any more`);
    // A retry still queued, running or done does the work already; one that failed can be retried again.
    const retry = await tx.job.findFirst({
      where: { parentJobId: id, kind: job.kind, status: { in: ['QUEUED', 'RUNNING', 'SUCCEEDED'] } },
      orderBy: { createdAt: 'desc' },
    });
    if (retry) {
      throw new ConflictError(`job ${id} was retried already as job ${retry.id} (${retry.status.toLowerCase()})`, { field: 'id' });
    }
    const modelId = job.modelId;
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
