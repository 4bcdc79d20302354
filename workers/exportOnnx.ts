// The export-onnx handler: the model checked out of the store and its graph written into the
// store's ONNX cache (atomically, so a retry or a concurrent evaluation finds it whole or not at all).
import { cachedOnnx } from '../src/onnx/cache.js';
import { checkoutJobModel } from './checkout.js';
import type { JobContext } from './types.js';

export async function runExportOnnx(ctx: JobContext): Promise<void> {
  const { dir, fileHashes } = await checkoutJobModel(ctx, 'export', 0.05);
  ctx.signal.throwIfAborted();
  ctx.reporter.update('export', 0.2);
  const path = await cachedOnnx(dir, ctx.deps.store.onnxCache, fileHashes);
  ctx.reporter.note(`exported ${path}`);
}
