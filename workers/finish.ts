// The end of a job: its row's final state from the job process's exit code, and what follows for
// its model. Every update is conditional, so a job finished twice (a retry racing a slow run)
// ends in one state.
import type { RegistryDeps } from '../src/registry/deps.js';
import { EXIT } from './failures.js';

export type FinalState = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'QUEUED';

export async function finishJob(
  deps: Pick<RegistryDeps, 'prisma'>,
  jobId: string,
  code: number,
  noMoreAttempts: boolean,
): Promise<FinalState> {
  const { prisma } = deps;
  const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  // The handler may have committed its success with its results; nothing after that undoes it.
  const done = job.status === 'SUCCEEDED';
  const retry = code === EXIT.retryable && !noMoreAttempts && job.attempts < job.maxAttempts;
  const state: FinalState =
    done || code === EXIT.ok ? 'SUCCEEDED' : code === EXIT.cancelled || job.cancelRequested ? 'CANCELLED' : retry ? 'QUEUED' : 'FAILED';
  await prisma.$transaction(async (tx) => {
    if (!done)
      await tx.job.update({
        where: { id: jobId },
        data:
          state === 'QUEUED'
            ? { status: 'QUEUED', stage: 'waiting to retry' }
            : { status: state, finishedAt: new Date(), ...(state === 'SUCCEEDED' ? { progress: 1, error: null } : {}) },
      });
    if (!job.modelId || state === 'QUEUED') return;
    if (job.kind === 'PRUNE' && state !== 'SUCCEEDED') {
      await tx.model.updateMany({ where: { id: job.modelId, artifactId: null }, data: { status: 'FAILED' } });
    }
    if (job.kind === 'EVALUATE') {
      // The last evaluation of a freshly pruned model makes it READY, whatever its outcome: the
      // weights are complete, and a failed evaluation is visible on its job.
      const pending = await tx.job.count({ where: { modelId: job.modelId, kind: 'EVALUATE', status: { in: ['QUEUED', 'RUNNING'] } } });
      if (pending === 0) await tx.model.updateMany({ where: { id: job.modelId, status: 'EVALUATING' }, data: { status: 'READY' } });
    }
  });
  return state;
}
