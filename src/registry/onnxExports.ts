// ONNX exports of registry models: a job writes the graph (FP32, weights as external data) into
// its ONNX cache, the same one evaluations use, keyed by the checkpoint's file hashes, and
// publishes it to the artifact store (workers/exportOnnx.ts); the API lists the files and the
// server serves them for download from the store.
import { basename } from 'node:path';
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
  /** Each file with its key in the artifact store (ArtifactStore.exportKey). */
  files: Array<{ path: string; size: number; object: string }>;
}

/** The stored export of a checkpoint with these files, if one has been made. */
export async function onnxExportOf(
  deps: Pick<RegistryDeps, 'store'>,
  files: Array<{ path: string; sha256: string }>,
): Promise<OnnxExport | null> {
  if (files.length === 0) return null;
  const key = checkpointKeyOf(Object.fromEntries(files.map((f) => [f.path, f.sha256])));
  const dir = basename(cachedOnnxDir(deps.store.onnxCache, key));
  const sizes = await Promise.all(
    ONNX_FILES.map(async (f) => {
      const object = deps.store.exportKey(`${dir}/${f}`);
      const info = await deps.store.objects.head(object);
      return info ? { path: f, size: info.size, object } : null;
    }),
  );
  if (sizes[0] === null) return null;
  return { key, files: sizes.filter((f) => f !== null) };
}

/** Queues the export of a READY model (MAINTAINER). */
export async function requestOnnxExport(deps: RegistryDeps, ref: string, createdById: string | null) {
  const model = await findModel(deps, ref);
  if (model.status !== 'READY' || !model.artifactId)
    throw new ConflictError(`model: ${formatModelName(model)} is ${model.status.toLowerCase()}, not READY`, { field: 'model' });
  return jobTransaction(deps, (tx) => createJobIn(deps, tx, { kind: 'EXPORT_ONNX', modelId: model.id, payload: {}, createdById }));
}
