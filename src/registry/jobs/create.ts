// Creating jobs: the Job row and its queue entry in the caller's transaction, so they commit
// together or not at all (graphile-worker's add_job, pg-boss's send in a transaction).
import type { JobKind } from '../../db/generated/enums.js';
import type { RegistryDeps } from '../deps.js';
import { payloadSchemas } from '../payloads.js';
import type { RawSql } from '../queue.js';
import type { Tx } from './tx.js';

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
