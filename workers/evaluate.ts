// The evaluate handler: the model checked out of the store, its cached ONNX graph, the task run
// by the evaluation engine, and its metrics stored. Re-running the same evaluation replaces its
// rows (one row per model, task, metric and settings).
import { createHash } from 'node:crypto';
import { evaluateCheckpoint } from '../src/eval/run.js';
import { resolveDataFile } from '../src/registry/importPath.js';
import { evaluatePayload } from '../src/registry/payloads.js';
import { checkoutJobModel } from './checkout.js';
import type { JobContext } from './types.js';

/** A canonical digest of the settings, so equal settings map to the same row. */
export function settingsKey(dataset: string | undefined, settings: Record<string, unknown>): string {
  const canonical = JSON.stringify({
    dataset: dataset ?? null,
    ...Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export async function runEvaluate(ctx: JobContext): Promise<void> {
  const { deps, job, reporter, signal } = ctx;
  const { prisma, store } = deps;
  const { request } = evaluatePayload.parse(job.payload);
  const data = request.data ? await resolveDataFile(request.data, deps.modelRoots) : undefined;
  const { model, dir, fileHashes } = await checkoutJobModel(ctx, 'evaluate', 0);
  const results = await evaluateCheckpoint(
    dir,
    { ...request, data },
    {
      cacheDir: store.onnxCache,
      threads: ctx.threads,
      fileHashes,
      signal,
      onProgress: (stage, f) => reporter.update(stage, stage === 'export' ? 0.05 : 0.1 + 0.85 * f),
    },
  );
  await prisma.$transaction(async (tx) => {
    for (const r of results) {
      const key = settingsKey(r.dataset, r.settings);
      const row = {
        value: r.value,
        stderr: r.stderr ?? null,
        dataset: r.dataset ?? null,
        datasetHash: (r.settings.datasetSha256 as string | undefined) ?? null,
        settings: r.settings as object,
        jobId: job.id,
      };
      await tx.evaluation.upsert({
        where: { modelId_task_metric_settingsKey: { modelId: model.id, task: r.task, metric: r.metric, settingsKey: key } },
        create: { modelId: model.id, task: r.task, metric: r.metric, settingsKey: key, ...row },
        update: row,
      });
    }
    await tx.job.update({
      where: { id: job.id },
      data: { status: 'SUCCEEDED', progress: 1, stage: 'done', finishedAt: new Date(), error: null },
    });
  });
  reporter.note(results.map((r) => `${r.task} ${r.metric} = ${r.value.toPrecision(6)}`).join('; '));
}
