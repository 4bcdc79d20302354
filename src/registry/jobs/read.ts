// Reading jobs and what a running job works on.
import { ConflictError, NotFoundError } from '../../errors.js';
import type { RegistryDeps } from '../deps.js';
import { formatModelName } from '../names.js';

export async function findJob(deps: Pick<RegistryDeps, 'prisma'>, id: string) {
  const job = await deps.prisma.job.findUnique({ where: { id } });
  if (!job) throw new NotFoundError('job', id);
  return job;
}

export type JobRow = Awaited<ReturnType<typeof findJob>>;

export const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

/** Whether a job has reached a final state (the one definition of "finished"). */
export function isFinished(status: JobRow['status']): boolean {
  return (FINISHED as readonly string[]).includes(status);
}

/** A model with the files of its stored checkpoint; CONFLICT when it has none (no retry can fix that). */
export async function modelWithCheckpoint(deps: Pick<RegistryDeps, 'prisma'>, id: string, purpose: string) {
  const model = await deps.prisma.model.findUnique({ where: { id }, include: { artifact: { include: { files: true } } } });
  if (!model) throw new NotFoundError('model', id);
  if (!model.artifact) {
    throw new ConflictError(`${formatModelName(model)} has no stored checkpoint to ${purpose} (status ${model.status.toLowerCase()})`);
  }
  return { ...model, artifact: model.artifact };
}

/**
 * The first parent of a model (position 0 of its lineage edges) with its stored checkpoint: what
 * embedding-similarity compares the model with. CONFLICT when the model is a root.
 */
export async function parentWithCheckpoint(deps: Pick<RegistryDeps, 'prisma'>, id: string, purpose: string) {
  const { prisma } = deps;
  const edge = await prisma.lineageEdge.findFirst({ where: { childId: id }, orderBy: { position: 'asc' } });
  if (!edge) {
    const model = await prisma.model.findUnique({ where: { id } });
    throw new ConflictError(`${model ? formatModelName(model) : id} has no parent to ${purpose} with (it is a root of the model tree)`);
  }
  return modelWithCheckpoint(deps, edge.parentId, purpose);
}
