// The export-onnx task: the model checked out of the store and its graph written into the
// store's ONNX cache (atomically, so a retry or a concurrent evaluation finds it whole or not at all).
import { cachedOnnx } from '../src/onnx/cache.js';
import { exportOnnxPayload } from '../src/registry/payloads.js';
import { checkoutJobModel } from './checkout.js';
import { defineTask } from './task.js';

export const exportOnnxTask = defineTask('EXPORT_ONNX', exportOnnxPayload, async (_payload, ctx) => {
  const { dir, fileHashes } = await checkoutJobModel(ctx, 'export', 0.05);
  ctx.signal.throwIfAborted();
  ctx.reporter.update('export', 0.2);
  const path = await cachedOnnx(dir, ctx.deps.store.onnxCache, fileHashes);
  ctx.reporter.note(`exported ${path}`);
});
