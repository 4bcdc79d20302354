// The prune handler: the parent is checked out of the store as hard links, pruned by the core
// into the job's temp folder, its files moved into the store, and the child's rows written in
// one transaction. Safe to run twice: the model takes an artifact only while it has none, and
// identical output lands on identical blobs.
import { join } from 'node:path';
import { type ResolvedRecipe, resolveRecipe } from '../src/eval/calibrate.js';
import { readCheckpointFolder } from '../src/formats/checkpoint/folder.js';
import { CheckpointTensors } from '../src/formats/checkpoint/tensors.js';
import { prune } from '../src/pruning/engine.js';
import { needsCalibration } from '../src/pruning/recipe.js';
import { resolveDataFile } from '../src/registry/importPath.js';
import { createJobIn } from '../src/registry/jobs.js';
import { removeUnreferencedBlobs } from '../src/registry/models.js';
import { prunePayload } from '../src/registry/payloads.js';
import type { JobContext } from './types.js';

export async function runPrune(ctx: JobContext): Promise<void> {
  const { deps, job, reporter, signal } = ctx;
  const { prisma, store } = deps;
  const payload = prunePayload.parse(job.payload);
  const model = await prisma.model.findUniqueOrThrow({ where: { id: job.modelId! } });
  if (model.artifactId) {
    reporter.note('the model already has its weights (an earlier run finished); nothing to do');
    return;
  }
  const parent = await prisma.model.findUniqueOrThrow({
    where: { id: payload.parentId },
    include: { artifact: { include: { files: true } } },
  });
  if (!parent.artifact) throw new Error(`the parent ${parent.owner}/${parent.name} has no stored checkpoint`);
  await prisma.model.update({ where: { id: model.id }, data: { status: 'PROCESSING' } });

  const parentDir = join(ctx.tmp, 'parent');
  const outDir = join(ctx.tmp, 'out');
  reporter.update('checkout', 0);
  await store.checkout(parent.artifact.files, parentDir);
  const parentHashes = Object.fromEntries(parent.artifact.files.map((f) => [f.path, f.sha256]));
  let resolved: ResolvedRecipe = { recipe: payload.recipe };
  if (needsCalibration(payload.recipe)) {
    const r = payload.recipe as { calibration: string };
    const calibration = await resolveDataFile(r.calibration, deps.modelRoots, 'recipe.calibration');
    resolved = await resolveRecipe(parentDir, { ...payload.recipe, calibration } as typeof payload.recipe, {
      cacheDir: store.onnxCache,
      threads: ctx.threads,
      fileHashes: parentHashes,
      tmp: join(ctx.tmp, 'calibration'),
      signal,
      onProgress: (stage, f) => reporter.update(stage, 0.02 + f * 0.3),
    });
    // The lineage records what was decided: the blocks chosen and their scores.
    await prisma.lineageEdge.updateMany({
      where: { childId: model.id, parentId: parent.id },
      data: { recipe: { ...resolved.recipe, calibration: r.calibration } as object },
    });
    reporter.note(`calibrated on ${r.calibration}`);
  }
  if (resolved.recipe.method === 'vocab') {
    // Corpus files are data like calibration text: only from the allowed roots.
    const corpus: string[] = [];
    for (const [i, file] of resolved.recipe.corpus.entries())
      corpus.push(await resolveDataFile(file, deps.modelRoots, `recipe.corpus.${i}`));
    resolved = { ...resolved, recipe: { ...resolved.recipe, corpus } };
  }
  const result = await prune(parentDir, outDir, resolved.recipe, {
    parentHashes,
    inputNorms: resolved.inputNorms,
    signal,
    onProgress: (p) => reporter.update(p.stage, 0.32 + p.progress * 0.58),
  });
  reporter.note(`pruned: ${result.plan.parameters.before.total} → ${result.parameters} parameters`);

  reporter.update('storing', 0.9);
  const tensors = await CheckpointTensors.open(outDir);
  const weights = tensors.bytesOnDisk();
  await tensors.close();
  const config = (await readCheckpointFolder(outDir)).config;
  const ingest = await store.adoptFolder(outDir, signal);
  try {
    const won = await prisma.$transaction(async (tx) => {
      const artifact = await tx.artifact.create({ data: { totalBytes: BigInt(ingest.files.reduce((a, f) => a + f.size, 0)) } });
      await tx.artifactFile.createMany({
        data: ingest.files.map((f) => ({ artifactId: artifact.id, path: f.path, sha256: f.sha256, size: BigInt(f.size) })),
      });
      const evaluate = payload.evaluate;
      const claimed = await tx.model.updateMany({
        where: { id: model.id, artifactId: null },
        data: {
          artifactId: artifact.id,
          status: evaluate.length ? 'EVALUATING' : 'READY',
          parameterCount: BigInt(result.parameters),
          byteSize: BigInt(weights),
          config: config as object,
        },
      });
      if (claimed.count === 0) {
        // Another run of this job finished first: give back our rows (the blobs are the same ones).
        await tx.artifact.delete({ where: { id: artifact.id } });
        return false;
      }
      // What the run measured, beside what was asked (the card states a sparsified model's real non-zeros).
      await tx.lineageEdge.updateMany({
        where: { childId: model.id, parentId: parent.id },
        data: {
          result: {
            parameters: result.parameters,
            ...(result.nonZero !== undefined && result.plan.method === 'sparsity'
              ? { nonZero: result.nonZero, targetParameters: result.plan.sparsity.targetParameters }
              : {}),
          },
        },
      });
      // Done in the same transaction as the model, so nobody sees a READY model with a running job.
      await tx.job.update({
        where: { id: job.id },
        data: { status: 'SUCCEEDED', progress: 1, stage: 'done', finishedAt: new Date(), error: null },
      });
      for (const request of evaluate) {
        await createJobIn(deps, tx, {
          kind: 'EVALUATE',
          modelId: model.id,
          payload: { request },
          parentJobId: job.id,
          createdById: job.createdById,
        });
      }
      return true;
    });
    reporter.note(won ? `stored ${ingest.files.length} files` : 'another run stored this model first');
  } catch (err) {
    await removeUnreferencedBlobs(deps, ingest.created);
    throw err;
  }
}
