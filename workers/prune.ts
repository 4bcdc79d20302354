// The prune task: the parent is checked out of the store as hard links, pruned by the core into
// the job's temp folder, its files moved into the store, and the child's rows committed by the
// registry in one transaction. Safe to run twice: the model takes an artifact only while it has
// none, and identical output lands on identical blobs.
import { join } from 'node:path';
import { readCheckpointFolder } from '../src/formats/checkpoint/folder.js';
import { pruneCheckpoint } from '../src/pruning/pruneCheckpoint.js';
import { mapDataFilesAsync, withDataFilesOf } from '../src/recipes/dataFiles.js';
import { DataStaging } from '../src/registry/dataStaging.js';
import { completePrune, modelWithCheckpoint, recordResolvedRecipe } from '../src/registry/jobs/index.js';
import { findModel, removeUnreferencedBlobs } from '../src/registry/models.js';
import { formatModelName } from '../src/registry/names.js';
import { nonZeroRecord } from '../src/registry/nonZero.js';
import { prunePayload } from '../src/registry/payloads.js';
import { revisionFiles } from '../src/registry/revisions.js';
import { defineTask } from './task.js';

export const pruneTask = defineTask('PRUNE', prunePayload, async (payload, ctx) => {
  const { deps, job, reporter, signal } = ctx;
  const { store } = deps;
  const model = await findModel(deps, job.modelId!);
  if (model.artifactId) {
    reporter.note('the model already has its weights (an earlier run finished); nothing to do');
    return;
  }
  const parent = await modelWithCheckpoint(deps, payload.parentId, 'prune');
  // The revision the spawn recorded: the parent may have had a newer commit since.
  const parentFiles = payload.parentRevision ? await revisionFiles(deps, parent.id, payload.parentRevision) : parent.artifact.files;

  const parentDir = join(ctx.tmp, 'parent');
  const outDir = join(ctx.tmp, 'out');
  reporter.update('checkout', 0);
  // Read in place: a parent stored in pieces is not written out (src/storage/store.ts checkout).
  await store.checkout(parentFiles, parentDir, signal, { inPlace: true });
  const parentHashes = Object.fromEntries(parentFiles.map((f) => [f.path, f.sha256]));
  // Data files are read from the job's private copies, never again by their path under the roots
  // (a link swapped in while the job runs would be followed: src/registry/dataStaging.ts).
  // Every field the schema marks as a data file is staged (src/recipes/dataFiles.ts), so a new
  // data field cannot skip the roots check.
  const data = new DataStaging(deps.modelRoots, join(ctx.tmp, 'data'));
  // The child's safetensors files are written straight as the store's pieces, so storing them is
  // renames (src/storage/piecesWriter.ts); a store that keeps files whole gets files.
  const writers = store.piecesWriters(join(ctx.tmp, 'pieces'));
  const staged = await mapDataFilesAsync(payload.recipe, (name, field) => data.stage(name, field));
  const result = await data.naming(() =>
    pruneCheckpoint(parentDir, outDir, staged, {
      calibration: {
        cacheDir: store.onnxCache,
        threads: ctx.threads,
        fileHashes: parentHashes,
        tmp: join(ctx.tmp, 'calibration'),
        signal,
        onProgress: (stage, f) => reporter.update(stage, 0.02 + f * 0.3),
      },
      onResolved: async (resolved) => {
        // The lineage records what was decided: the blocks chosen and their scores, with the data
        // files by the names the spawn recorded, not by the job's private copies.
        await recordResolvedRecipe(deps, model.id, parent.id, withDataFilesOf(resolved.recipe, payload.recipe));
        reporter.note(`calibrated on ${(payload.recipe as { calibration?: string }).calibration}`);
      },
      parentHashes,
      signal,
      tensorWriter: writers?.create,
      onProgress: (p) => reporter.update(p.stage, 0.32 + p.progress * 0.58),
    }),
  );
  reporter.note(`pruned: ${result.plan.parameters.before.total} → ${result.parameters} parameters`);

  reporter.update('storing', 0.9);
  const config = (await readCheckpointFolder(outDir)).config;
  const ingest = await store.adoptFolder(outDir, signal, writers?.files);
  // The weights' bytes (what CheckpointTensors.bytesOnDisk counts): the safetensors files.
  const byteSize = ingest.files.filter((f) => f.path.endsWith('.safetensors')).reduce((a, f) => a + f.size, 0);
  try {
    // Each rewritten tensor's count, tied to the stored piece it was counted on (the Tensors tab's non-zero share).
    const perTensor = result.nonZeroByTensor ? await nonZeroRecord(store, ingest.files, result.nonZeroByTensor) : undefined;
    const won = await completePrune(deps, job, {
      files: ingest.files,
      parameters: result.parameters,
      byteSize,
      config,
      parentId: parent.id,
      message: `Prune ${formatModelName(parent)}${payload.parentRevision ? `@${payload.parentRevision.slice(0, 7)}` : ''}: ${payload.recipe.method}`,
      source: payload.parentRevision ? `${formatModelName(parent)}@${payload.parentRevision}` : formatModelName(parent),
      // What the run measured, beside what was asked (the card states a sparsified model's real non-zeros).
      result: {
        parameters: result.parameters,
        ...(result.nonZero !== undefined && 'sparsity' in result.plan
          ? { nonZero: result.nonZero, targetParameters: result.plan.sparsity.targetParameters }
          : {}),
        // Which layers kept the refit or stand-in, with the held-out errors that decided it (src/pruning/heldOut.ts).
        ...(result.reconstruction ? { reconstruction: result.reconstruction } : {}),
        ...(perTensor ? { tensors: perTensor } : {}),
      },
      evaluate: payload.evaluate,
    });
    reporter.note(won ? `stored ${ingest.files.length} files` : 'another run stored this model first');
    if (!won) await removeUnreferencedBlobs(deps, ingest.created);
  } catch (err) {
    await removeUnreferencedBlobs(deps, ingest.created);
    throw err;
  }
});
