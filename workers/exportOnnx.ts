// The export-onnx handler: the model checked out of the store and its graph written into the
// store's ONNX cache (atomically, so a retry or a concurrent evaluation finds it whole or not at all).
import { join } from 'node:path';
import { cachedOnnx } from '../src/onnx/cache.js';
import type { JobContext } from './types.js';

export async function runExportOnnx(ctx: JobContext): Promise<void> {
  const { deps, job, reporter, signal } = ctx;
  const { prisma, store } = deps;
  const model = await prisma.model.findUniqueOrThrow({ where: { id: job.modelId! }, include: { artifact: { include: { files: true } } } });
  if (!model.artifact) throw new Error(`${model.owner}/${model.name} has no stored checkpoint to export`);
  const dir = join(ctx.tmp, 'model');
  reporter.update('checkout', 0.05);
  await store.checkout(model.artifact.files, dir);
  signal.throwIfAborted();
  reporter.update('export', 0.2);
  const path = await cachedOnnx(dir, store.onnxCache, Object.fromEntries(model.artifact.files.map((f) => [f.path, f.sha256])));
  reporter.note(`exported ${path}`);
}
