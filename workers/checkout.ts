// The job's model checked out of the artifact store into the job's temp folder (hard links; a file
// the store keeps in pieces is read in place: src/storage/store.ts checkout), with
// the sha256 of each file, which the ONNX cache keys on. A model without a stored checkpoint is a
// CONFLICT: no retry can fix it.
import { join } from 'node:path';
import { modelWithCheckpoint, parentWithCheckpoint } from '../src/registry/jobs/index.js';
import type { JobContext } from './types.js';

export async function checkoutJobModel(ctx: JobContext, purpose: string, progress: number) {
  const { deps, job, reporter } = ctx;
  const model = await modelWithCheckpoint(deps, job.modelId!, purpose);
  const dir = join(ctx.tmp, 'model');
  reporter.update('checkout', progress);
  await deps.store.checkout(model.artifact.files, dir, ctx.signal, { inPlace: true });
  const fileHashes = Object.fromEntries(model.artifact.files.map((f) => [f.path, f.sha256]));
  return { model, dir, fileHashes };
}

/** The job model's first parent, checked out beside it (embedding-similarity compares the two). */
export async function checkoutJobParent(ctx: JobContext, purpose: string) {
  const { deps, job } = ctx;
  const model = await parentWithCheckpoint(deps, job.modelId!, purpose);
  const dir = join(ctx.tmp, 'parent');
  await deps.store.checkout(model.artifact.files, dir, ctx.signal, { inPlace: true });
  const fileHashes = Object.fromEntries(model.artifact.files.map((f) => [f.path, f.sha256]));
  return { model, dir, fileHashes };
}
