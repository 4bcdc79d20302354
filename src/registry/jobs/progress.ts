// What a running job reports: stage, progress and heartbeat, and its last log lines.
import type { RegistryDeps } from '../deps.js';
import type { JobFailure } from './finish.js';

export const LOG_LINES = 20;

export async function reportProgress(
  deps: Pick<RegistryDeps, 'prisma'>,
  id: string,
  p: { stage: string | null; progress: number },
): Promise<void> {
  await deps.prisma.job.updateMany({
    where: { id, status: 'RUNNING' },
    data: { stage: p.stage, progress: p.progress, heartbeatAt: new Date() },
  });
}

/** Appends a line and keeps the last LOG_LINES, in one statement (no read-modify-write race). */
export async function appendLog(deps: Pick<RegistryDeps, 'prisma'>, id: string, line: string): Promise<void> {
  const text = line.slice(0, 500);
  await deps.prisma.$executeRaw`
    UPDATE "Job" SET "logTail" = (array_append("logTail", ${text}))[greatest(1, coalesce(array_length("logTail", 1), 0) + 2 - ${LOG_LINES}):]
    WHERE id = ${id}::uuid`;
}

/** Why the last attempt failed, in words a user can act on, and its code (workers/failures.ts). */
export async function recordError(deps: Pick<RegistryDeps, 'prisma'>, id: string, failure: JobFailure): Promise<void> {
  await deps.prisma.job.update({ where: { id }, data: { error: failure.message, errorCode: failure.code } });
}

/**
 * A heartbeat written by the runner for a job process that is still starting (workers/runner.ts):
 * only while the job is RUNNING, so a job handed back meanwhile stays handed back.
 */
export async function renewHeartbeat(deps: Pick<RegistryDeps, 'prisma'>, id: string): Promise<void> {
  await deps.prisma.job.updateMany({ where: { id, status: 'RUNNING' }, data: { heartbeatAt: new Date() } });
}

/** The heartbeat SQL the job's heartbeat thread runs on its own connection (workers/heartbeatThread.mjs, which gets it from workers/progress.ts). */
export const HEARTBEAT_SQL = `UPDATE "Job" SET "heartbeatAt" = now() WHERE id = $1::uuid AND status = 'RUNNING'`;
