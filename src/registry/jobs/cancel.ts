// Cancelling: a queued job at once; a running one is flagged, and its worker stops within a few
// seconds (the runner polls the flag) and removes its temporary files.
import { ConflictError } from '../../errors.js';
import type { RegistryDeps } from '../deps.js';
import { findJob, isFinished } from './read.js';

export async function cancelJob(deps: Pick<RegistryDeps, 'prisma' | 'queue'>, id: string) {
  const job = await findJob(deps, id);
  if (isFinished(job.status)) {
    throw new ConflictError(`job ${id} has finished (${job.status.toLowerCase()}); nothing to cancel`, { field: 'id' });
  }
  if (job.status === 'QUEUED') {
    const updated = await deps.prisma.$transaction(async (tx) => {
      const taken = await tx.job.updateMany({
        where: { id, status: 'QUEUED' },
        data: { status: 'CANCELLED', cancelRequested: true, finishedAt: new Date(), stage: 'cancelled' },
      });
      const row = await tx.job.findUniqueOrThrow({ where: { id } });
      if (taken.count > 0 && row.kind === 'PRUNE' && row.modelId) {
        await tx.model.updateMany({ where: { id: row.modelId, artifactId: null }, data: { status: 'FAILED' } });
      }
      return row;
    });
    await deps.queue?.cancel(id);
    if (updated.status === 'CANCELLED') return updated;
  }
  return deps.prisma.job.update({ where: { id }, data: { cancelRequested: true } });
}

/** Whether the job's cancellation was asked for (the runner polls this). */
export async function cancelRequested(deps: Pick<RegistryDeps, 'prisma'>, id: string): Promise<boolean> {
  const row = await deps.prisma.job.findUnique({ where: { id }, select: { cancelRequested: true } });
  return row?.cancelRequested ?? false;
}
