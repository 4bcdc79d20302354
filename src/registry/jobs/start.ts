// A worker takes a job: conditional, so two workers racing for one job start it once.
import type { RegistryDeps } from '../deps.js';

/** QUEUED (or RUNNING handed back) → RUNNING, one more attempt; null when someone else has it or it ended. */
export async function startJob(deps: Pick<RegistryDeps, 'prisma'>, id: string) {
  return deps.prisma.$transaction(async (tx) => {
    const started = await tx.job.updateMany({
      where: { id, status: { in: ['QUEUED', 'RUNNING'] }, cancelRequested: false },
      data: {
        status: 'RUNNING',
        attempts: { increment: 1 },
        startedAt: new Date(),
        heartbeatAt: new Date(),
        error: null,
        errorCode: null,
        stage: 'starting',
      },
    });
    if (started.count === 0) return null;
    const job = await tx.job.findUniqueOrThrow({ where: { id } });
    // A pruned model is PROCESSING while its weights are being made.
    if (job.kind === 'PRUNE' && job.modelId) {
      await tx.model.updateMany({ where: { id: job.modelId, artifactId: null }, data: { status: 'PROCESSING' } });
    }
    return job;
  });
}
