// The evaluate task: the model checked out of the store, its cached ONNX graph, the task run by
// the evaluation engine, and its metrics committed by the registry with the job's success.
// Re-running the same evaluation replaces its rows (one row per model, task, metric and settings).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { evaluateCheckpoint } from '../src/eval/run.js';
import { DataStaging } from '../src/registry/dataStaging.js';
import { completeEvaluation } from '../src/registry/jobs/index.js';
import { evaluatePayload } from '../src/registry/payloads.js';
import { checkoutJobModel, checkoutJobParent } from './checkout.js';
import { defineTask } from './task.js';

/** A canonical digest of the settings, so equal settings map to the same row. */
export function settingsKey(dataset: string | undefined, settings: Record<string, unknown>): string {
  const canonical = JSON.stringify({
    dataset: dataset ?? null,
    ...Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export const evaluateTask = defineTask('EVALUATE', evaluatePayload, async ({ request }, ctx) => {
  const { deps, job, reporter, signal } = ctx;
  // The evaluation set is read from the job's private copy, never again by its path under the
  // roots (a link swapped in while the job runs would be followed: src/registry/dataStaging.ts).
  const staging = new DataStaging(deps.modelRoots, join(ctx.tmp, 'data'));
  const data = request.data ? await staging.stage(request.data, 'data') : undefined;
  const { dir, fileHashes } = await checkoutJobModel(ctx, 'evaluate', 0);
  const parent = request.task === 'embedding-similarity' ? await checkoutJobParent(ctx, 'compare') : undefined;
  const results = await staging.naming(() =>
    evaluateCheckpoint(
      dir,
      { ...request, data },
      {
        cacheDir: deps.store.onnxCache,
        threads: ctx.threads,
        fileHashes,
        parentDir: parent?.dir,
        parentFileHashes: parent?.fileHashes,
        signal,
        onProgress: (stage, f) => reporter.update(stage, stage === 'export' ? 0.05 : 0.1 + 0.85 * f),
      },
    ),
  );
  await completeEvaluation(
    deps,
    job,
    results.map((r) => ({
      task: r.task,
      metric: r.metric,
      value: r.value,
      stderr: r.stderr ?? null,
      dataset: r.dataset ?? null,
      datasetHash: (r.settings.datasetSha256 as string | undefined) ?? null,
      settings: r.settings,
      settingsKey: settingsKey(r.dataset, r.settings),
    })),
  );
  reporter.note(results.map((r) => `${r.task} ${r.metric} = ${r.value.toPrecision(6)}`).join('; '));
});
