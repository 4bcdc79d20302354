// Jobs whose worker died (kill -9, a lost machine): RUNNING with a heartbeat older than the limit.
// Each is handed back to the queue with a conditional update on the heartbeat it was seen with,
// so a job whose first run finishes at that moment is not requeued over its result.
import type { RegistryDeps } from '../deps.js';

export async function requeueStale(deps: Pick<RegistryDeps, 'prisma'>, staleAfterMs: number) {
  const { prisma } = deps;
  const stale = await prisma.job.findMany({ where: { status: 'RUNNING', heartbeatAt: { lt: new Date(Date.now() - staleAfterMs) } } });
  const requeued: typeof stale = [];
  for (const job of stale) {
    const taken = await prisma.job.updateMany({
      where: { id: job.id, status: 'RUNNING', heartbeatAt: job.heartbeatAt },
      data: {
        status: 'QUEUED',
        stage: 'waiting to retry',
        error: 'the worker running this job stopped (no heartbeat); retrying',
        errorCode: 'WORKER_LOST',
      },
    });
    if (taken.count > 0) requeued.push(job);
  }
  return requeued;
}

/** QUEUED jobs that ran before and have waited long (their queue entry may still be active). */
export async function waitingRetries(deps: Pick<RegistryDeps, 'prisma'>, olderThanMs: number): Promise<string[]> {
  const rows = await deps.prisma.job.findMany({
    where: { status: 'QUEUED', startedAt: { not: null }, updatedAt: { lt: new Date(Date.now() - olderThanMs) } },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/** Whether a job still runs (cleanup keeps its temporary folder). */
export async function isRunning(deps: Pick<RegistryDeps, 'prisma'>, id: string): Promise<boolean> {
  const job = await deps.prisma.job.findUnique({ where: { id }, select: { status: true } });
  return job?.status === 'RUNNING';
}

/**
 * Whether a job is QUEUED again: the supervisor handed it back (requeueStale) while a worker's
 * process still runs it, so that worker must stop and leave the retry to the queue.
 */
export async function wasHandedBack(deps: Pick<RegistryDeps, 'prisma'>, id: string): Promise<boolean> {
  const job = await deps.prisma.job.findUnique({ where: { id }, select: { status: true } });
  return job?.status === 'QUEUED';
}
