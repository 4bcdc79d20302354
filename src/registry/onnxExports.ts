// ONNX exports of registry models: a job writes the graph (FP32, weights as external data) into
// the artifact store's ONNX cache, the same one evaluations use, keyed by the checkpoint's file
// hashes; the API lists the files and the server serves them for download.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '../errors.js';
import { cachedOnnxDir, checkpointKeyOf } from '../onnx/cache.js';
import { DATA_FILE } from '../onnx/export.js';
import type { RegistryDeps } from './deps.js';
import { createJobIn, jobTransaction } from './jobs/index.js';
import { findModel } from './models.js';
import { formatModelName } from './names.js';

export const ONNX_FILES = ['model.onnx', DATA_FILE] as const;

export interface OnnxExport {
  /** sha256 over the export version and the checkpoint's config and weight hashes. */
  key: string;
  dir: string;
  files: Array<{ path: string; size: number }>;
}

/** The stored export of a checkpoint with these files, if one has been made. */
export async function onnxExportOf(
  deps: Pick<RegistryDeps, 'store'>,
  files: Array<{ path: string; sha256: string }>,
): Promise<OnnxExport | null> {
  if (files.length === 0) return null;
  const key = checkpointKeyOf(Object.fromEntries(files.map((f) => [f.path, f.sha256])));
  const dir = cachedOnnxDir(deps.store.onnxCache, key);
  // Asynchronous stats: a request's file I/O stays off the event loop.
  const sizes = await Promise.all(
    ONNX_FILES.map((f) =>
      stat(join(dir, f)).then(
        (s) => ({ path: f, size: s.size }),
        () => null,
      ),
    ),
  );
  if (sizes[0] === null) return null;
  return { key, dir, files: sizes.filter((f) => f !== null) };
}

/** Queues the export of a READY model (MAINTAINER). */
export async function requestOnnxExport(deps: RegistryDeps, ref: string, createdById: string | null) {
  const model = await findModel(deps, ref);
  if (model.status !== 'READY' || !model.artifactId)
    throw new ConflictError(`model: ${formatModelName(model)} is ${model.status.toLowerCase()}, not READY`, { field: 'model' });
  return jobTransaction(deps, (tx) => createJobIn(deps, tx, { kind: 'EXPORT_ONNX', modelId: model.id, payload: {}, createdById }));
}
