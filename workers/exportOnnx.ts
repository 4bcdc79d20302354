// The export-onnx task: the model checked out of the store and its graph written into the
// store's ONNX cache (atomically, so a retry or a concurrent evaluation finds it whole or not at all).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cachedOnnx } from '../src/onnx/cache.js';
import { ONNX_FILES } from '../src/registry/onnxExports.js';
import { exportOnnxPayload } from '../src/registry/payloads.js';
import { checkoutJobModel } from './checkout.js';
import { defineTask } from './task.js';

export const exportOnnxTask = defineTask('EXPORT_ONNX', exportOnnxPayload, async (_payload, ctx) => {
  const { dir, fileHashes } = await checkoutJobModel(ctx, 'export', 0.05);
  ctx.signal.throwIfAborted();
  ctx.reporter.update('export', 0.2);
  const path = await cachedOnnx(dir, ctx.deps.store.onnxCache, fileHashes);
  // The server may be on another machine: the graph goes into the store, its weights first, so a
  // reader that finds model.onnx finds its data too (src/registry/onnxExports.ts looks for model.onnx).
  for (const f of [...ONNX_FILES].reverse()) {
    const file = join(dirname(path), f);
    if (existsSync(file)) await ctx.deps.store.publishExport(file);
  }
  ctx.reporter.note(`exported ${path}`);
});
