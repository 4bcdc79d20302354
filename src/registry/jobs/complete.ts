// A job's success, committed with what it produced in one transaction: the artifact and the
// model's new state (and its follow-up evaluation jobs), or the evaluation rows. Nobody sees a
// READY model with a running job, or a SUCCEEDED job without its results.
import type { RegistryDeps } from '../deps.js';
import type { EvaluationRequest } from '../payloads.js';
import { createRevision } from '../revisions.js';
import { createJobIn } from './create.js';
import { readyWhenEvaluated } from './finish.js';
import type { JobRow } from './read.js';
import type { Tx } from './tx.js';

const SUCCEEDED = { status: 'SUCCEEDED', progress: 1, stage: 'done', error: null, errorCode: null } as const;

async function succeed(tx: Tx, id: string): Promise<void> {
  await tx.job.update({ where: { id }, data: { ...SUCCEEDED, finishedAt: new Date() } });
}

export interface PruneOutput {
  files: Array<{ path: string; sha256: string; size: number }>;
  parameters: number;
  byteSize: number;
  config: Record<string, unknown>;
  parentId: string;
  /** What the run measured, stored on the lineage edge beside the recipe. */
  result: Record<string, unknown>;
  /** The revision's message and source (the parent's name and revision, the recipe's method). */
  message?: string;
  source?: string;
  evaluate: EvaluationRequest[];
}

/**
 * The pruned model's checkpoint: false when another run of the same job stored it first (the
 * model takes an artifact only while it has none; the caller removes its blobs if unused).
 */
export async function completePrune(deps: Pick<RegistryDeps, 'prisma' | 'queue'>, job: JobRow, out: PruneOutput): Promise<boolean> {
  const won = await deps.prisma.$transaction(async (tx) => {
    const artifact = await tx.artifact.create({ data: { totalBytes: BigInt(out.files.reduce((a, f) => a + f.size, 0)) } });
    await tx.artifactFile.createMany({
      data: out.files.map((f) => ({ artifactId: artifact.id, path: f.path, sha256: f.sha256, size: BigInt(f.size) })),
    });
    const claimed = await tx.model.updateMany({
      where: { id: job.modelId!, artifactId: null },
      data: {
        artifactId: artifact.id,
        status: out.evaluate.length ? 'EVALUATING' : 'READY',
        parameterCount: BigInt(out.parameters),
        byteSize: BigInt(out.byteSize),
        config: out.config as object,
      },
    });
    if (claimed.count === 0) {
      await tx.artifact.delete({ where: { id: artifact.id } });
      return false;
    }
    await tx.lineageEdge.updateMany({ where: { childId: job.modelId!, parentId: out.parentId }, data: { result: out.result as object } });
    await createRevision(tx, { modelId: job.modelId!, artifactId: artifact.id, message: out.message ?? 'Prune', source: out.source });
    await succeed(tx, job.id);
    for (const request of out.evaluate) {
      await createJobIn(deps, tx, {
        kind: 'EVALUATE',
        modelId: job.modelId!,
        payload: { request },
        parentJobId: job.id,
        createdById: job.createdById,
      });
    }
    return true;
  });
  if (won) deps.queue?.wake();
  return won;
}

/** The recipe as calibration resolved it (the blocks chosen, their scores), recorded on the edge. */
export async function recordResolvedRecipe(deps: Pick<RegistryDeps, 'prisma'>, childId: string, parentId: string, recipe: object) {
  await deps.prisma.lineageEdge.updateMany({ where: { childId, parentId }, data: { recipe } });
}

export interface EvaluationRow {
  task: string;
  metric: string;
  value: number;
  stderr?: number | null;
  dataset?: string | null;
  datasetHash?: string | null;
  settings: Record<string, unknown>;
  settingsKey: string;
}

/**
 * The evaluation's rows (replacing those of the same task, metric and settings), the job's success
 * and, when it was the model's last pending evaluation, the model READY.
 */
export async function completeEvaluation(deps: Pick<RegistryDeps, 'prisma'>, job: JobRow, rows: readonly EvaluationRow[]): Promise<void> {
  const modelId = job.modelId!;
  await deps.prisma.$transaction(async (tx) => {
    for (const r of rows) {
      const data = {
        value: r.value,
        stderr: r.stderr ?? null,
        dataset: r.dataset ?? null,
        datasetHash: r.datasetHash ?? null,
        settings: r.settings as object,
        jobId: job.id,
      };
      await tx.evaluation.upsert({
        where: { modelId_task_metric_settingsKey: { modelId, task: r.task, metric: r.metric, settingsKey: r.settingsKey } },
        create: { modelId, task: r.task, metric: r.metric, settingsKey: r.settingsKey, ...data },
        update: data,
      });
    }
    await succeed(tx, job.id);
    await readyWhenEvaluated(tx, modelId);
  });
}

/** A job with nothing to store (an ONNX export lands in the cache). */
export async function completeJob(deps: Pick<RegistryDeps, 'prisma'>, job: JobRow): Promise<void> {
  await deps.prisma.$transaction((tx) => succeed(tx, job.id));
}
