// Job rows: created with their queue entry in one transaction, cancelled, retried. Progress and
// state while a job runs are written by the workers (workers/progress.ts).
import type { PrismaClient } from '../db/client.js';
import type { JobKind } from '../db/generated/enums.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { RegistryDeps } from './deps.js';
import { payloadSchemas } from './payloads.js';
import type { RawSql } from './queue.js';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface NewJob {
  kind: JobKind;
  modelId: string;
  payload: Record<string, unknown>;
  parentJobId?: string | null;
  createdById?: string | null;
}

/** A transaction that creates jobs; once it has committed, this process's idle workers take them at once. */
export async function jobTransaction<T>(deps: Pick<RegistryDeps, 'prisma' | 'queue'>, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const result = await deps.prisma.$transaction(fn);
  deps.queue?.wake();
  return result;
}

/** Inside the caller's transaction: the Job row and its queue entry commit together or not at all. */
export async function createJobIn(deps: Pick<RegistryDeps, 'queue'>, tx: Tx, job: NewJob) {
  const payload = payloadSchemas[job.kind].parse(job.payload) as object;
  const row = await tx.job.create({
    data: {
      kind: job.kind,
      modelId: job.modelId,
      payload,
      parentJobId: job.parentJobId ?? null,
      createdById: job.createdById ?? null,
      maxAttempts: (deps.queue?.settings.retryLimit ?? 0) + 1,
    },
  });
  if (deps.queue) {
    await deps.queue.enqueueIn(tx as unknown as RawSql, row.id);
    return tx.job.update({ where: { id: row.id }, data: { queueJobId: row.id } });
  }
  return row;
}

export async function findJob(prisma: PrismaClient, id: string) {
  const job = await prisma.job.findUnique({ where: { id } });
  if (!job) throw new NotFoundError('job', id);
  return job;
}

/**
 * A queued job is cancelled at once; a running one is flagged, and its worker stops within a few
 * seconds (it polls the flag with its heartbeat) and removes its temporary files.
 */
export async function cancelJob(deps: RegistryDeps, id: string) {
  const job = await findJob(deps.prisma, id);
  if (job.status === 'SUCCEEDED' || job.status === 'FAILED' || job.status === 'CANCELLED') {
    throw new ConflictError(`job ${id} has finished (${job.status.toLowerCase()}); nothing to cancel`, { field: 'id' });
  }
  if (job.status === 'QUEUED') {
    const updated = await deps.prisma.$transaction(async (tx) => {
      const row = await tx.job.update({
        where: { id },
        data: { status: 'CANCELLED', cancelRequested: true, finishedAt: new Date(), stage: 'cancelled' },
      });
      if (row.kind === 'PRUNE' && row.modelId) await tx.model.update({ where: { id: row.modelId }, data: { status: 'FAILED' } });
      return row;
    });
    await deps.queue?.cancel(id);
    return updated;
  }
  return deps.prisma.job.update({ where: { id }, data: { cancelRequested: true } });
}

/** A failed or cancelled job runs again as a new Job row that points back to it. */
export async function retryJob(deps: RegistryDeps, id: string, createdById: string | null) {
  const job = await findJob(deps.prisma, id);
  if (job.status !== 'FAILED' && job.status !== 'CANCELLED') {
    throw new ConflictError(`job ${id} is ${job.status.toLowerCase()}; only failed or cancelled jobs can be retried`, { field: 'id' });
  }
  if (!job.modelId) throw new ConflictError(`job ${id} has no model any more`);
  const modelId = job.modelId;
  return jobTransaction(deps, async (tx) => {
    if (job.kind === 'PRUNE') await tx.model.update({ where: { id: modelId }, data: { status: 'QUEUED' } });
    return createJobIn(deps, tx, {
      kind: job.kind,
      modelId,
      payload: job.payload as Record<string, unknown>,
      parentJobId: job.id,
      createdById,
    });
  });
}
