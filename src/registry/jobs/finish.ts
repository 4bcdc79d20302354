// The end of a job's attempt: its row's final state from how the attempt ended, and what follows
// for its model. Every update is conditional, so a job finished twice (a retry racing a slow run,
// a stale job requeued while its first run completes) ends in one state.
import type { RegistryDeps } from '../deps.js';
import type { Tx } from './tx.js';

/** How an attempt ended (the job process's exit, as the runner reads it). */
export type Outcome = 'succeeded' | 'retryable' | 'permanent' | 'cancelled';
export type FinalState = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'QUEUED';

/** Why an attempt failed: a code for programs (workers/failures.ts), a message for people. */
export interface JobFailure {
  code: string;
  message: string;
}

/** The last word when nothing else said why: every FAILED job has an error and a code. */
const UNEXPLAINED: JobFailure = { code: 'UNKNOWN', message: 'the job failed without recording why (see the worker’s log)' };

/**
 * `failure` is how the runner saw the attempt end (killed, out of memory, crashed); it is kept
 * unless the attempt recorded its own reason (recordError), which says more.
 */
export async function finishAttempt(
  deps: Pick<RegistryDeps, 'prisma'>,
  jobId: string,
  outcome: Outcome,
  noMoreAttempts: boolean,
  failure?: JobFailure,
): Promise<FinalState> {
  return deps.prisma.$transaction(async (tx) => {
    const job = await tx.job.findUniqueOrThrow({ where: { id: jobId } });
    // The handler may have committed its success with its results; nothing after that undoes it.
    const done = job.status === 'SUCCEEDED';
    if (job.status === 'FAILED' || job.status === 'CANCELLED') return job.status;
    const retry = outcome === 'retryable' && !noMoreAttempts && job.attempts < job.maxAttempts;
    const state: FinalState =
      done || outcome === 'succeeded'
        ? 'SUCCEEDED'
        : outcome === 'cancelled' || job.cancelRequested
          ? 'CANCELLED'
          : retry
            ? 'QUEUED'
            : 'FAILED';
    if (!done) {
      const reason = state === 'FAILED' || state === 'QUEUED' ? reasonToWrite(job, failure, state === 'FAILED') : null;
      await tx.job.updateMany({
        where: { id: jobId, status: { notIn: ['SUCCEEDED', 'FAILED', 'CANCELLED'] } },
        data: {
          ...(state === 'QUEUED'
            ? { status: 'QUEUED', stage: 'waiting to retry' }
            : { status: state, finishedAt: new Date(), ...(state === 'SUCCEEDED' ? { progress: 1, error: null, errorCode: null } : {}) }),
          ...(reason ? { error: reason.message, errorCode: reason.code } : {}),
        },
      });
    }
    if (!job.modelId || state === 'QUEUED') return state;
    if (job.kind === 'PRUNE' && state !== 'SUCCEEDED') {
      await tx.model.updateMany({ where: { id: job.modelId, artifactId: null }, data: { status: 'FAILED' } });
    }
    // The last evaluation of a freshly pruned model makes it READY, whatever its outcome: the
    // weights are complete, and a failed evaluation is visible on its job.
    if (job.kind === 'EVALUATE') await readyWhenEvaluated(tx, job.modelId);
    return state;
  });
}

/** What to write as the attempt's reason: nothing when it recorded its own with a code. */
function reasonToWrite(job: { error: string | null; errorCode: string | null }, failure: JobFailure | undefined, final: boolean) {
  if (job.error && job.errorCode) return null;
  if (job.error) return { code: UNEXPLAINED.code, message: job.error };
  return failure ?? (final ? UNEXPLAINED : null);
}

/**
 * EVALUATING → READY once no evaluation of the model is queued or running, in the transaction that
 * ends the last one: a client that sees every job finished never sees the model still waiting.
 * The model's row is locked first: two evaluations ending at once would each count the other as
 * still running (neither sees the other's uncommitted end under READ COMMITTED, a write skew) and
 * leave the model EVALUATING for good; locked, the second counts after the first commits (each
 * statement of a READ COMMITTED transaction sees what committed before it began: PostgreSQL
 * manual, "Transaction Isolation"). FOR NO KEY UPDATE, the lock the status update takes anyway:
 * both transactions already hold FOR KEY SHARE on the row (their evaluation rows reference it),
 * which FOR UPDATE would wait on in both, a deadlock ("Explicit Locking", row-level lock modes).
 */
export async function readyWhenEvaluated(tx: Tx, modelId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM "Model" WHERE id = ${modelId}::uuid FOR NO KEY UPDATE`;
  const pending = await tx.job.count({ where: { modelId, kind: 'EVALUATE', status: { in: ['QUEUED', 'RUNNING'] } } });
  if (pending === 0) await tx.model.updateMany({ where: { id: modelId, status: 'EVALUATING' }, data: { status: 'READY' } });
}
