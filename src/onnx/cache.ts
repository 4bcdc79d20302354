// Exported graphs are cached per checkpoint: the key is the sha256 of the export version and of
// every file's sha256, so a pruned child gets its own graph and an unchanged one is reused.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../sha256.js';
import { EXPORT_VERSION, exportOnnx, HEAD_OUTPUTS, type HeadOutput } from './export.js';

const shapesGraph = (n: string) => n === 'config.json' || n.endsWith('.safetensors');

/** The key from known hashes: the registry has every stored file's sha256. */
export function checkpointKeyOf(fileHashes: Record<string, string>): string {
  const h = createHash('sha256').update(`bonsai-onnx-${EXPORT_VERSION}\n`);
  for (const n of Object.keys(fileHashes).filter(shapesGraph).sort()) h.update(`${n} ${fileHashes[n]}\n`);
  return h.digest('hex');
}

/** sha256 of every file that shapes the graph (config and weights), computed when not given. */
export async function checkpointKey(dir: string, fileHashes?: Record<string, string>): Promise<string> {
  const hashes: Record<string, string> = {};
  for (const n of (await readdir(dir)).filter(shapesGraph)) hashes[n] = fileHashes?.[n] ?? (await sha256File(join(dir, n)));
  return checkpointKeyOf(hashes);
}

/**
 * Where the graph of a checkpoint with this key lives (or will) in a cache folder; a graph with
 * only some head outputs (a task's) sits beside the full one.
 */
export function cachedOnnxDir(cacheDir: string, key: string, outputs?: readonly HeadOutput[]): string {
  const variant = !outputs || outputs.length === HEAD_OUTPUTS.length ? '' : outputs.length ? `-${[...outputs].sort().join('+')}` : '-taps';
  return join(cacheDir, key.slice(0, 32) + variant);
}

/**
 * What the portable graph computes: logits (and greedy), with input_ids its only input, the
 * interface transformers.js expects of a decoder without a KV cache (its models/session.js feeds
 * exactly the graph's inputNames and refuses a graph needing one it does not have, such as targets).
 */
export const PORTABLE_OUTPUTS: readonly HeadOutput[] = ['logits', 'greedy'];

/**
 * The cached graph of a checkpoint, exported on first use. Without `outputs`: the portable graph
 * (plain ONNX operators, PORTABLE_OUTPUTS), which is what users download; with them: the fused
 * onnxruntime graph a task runs, computing only those outputs.
 */
export async function cachedOnnx(
  dir: string,
  cacheDir: string,
  fileHashes?: Record<string, string>,
  outputs?: readonly HeadOutput[],
): Promise<string> {
  const out = cachedOnnxDir(cacheDir, await checkpointKey(dir, fileHashes), outputs);
  const model = join(out, 'model.onnx');
  if (!existsSync(model)) await exportOnnx(dir, out, outputs ? { outputs } : { graph: 'reference', outputs: PORTABLE_OUTPUTS });
  return model;
}
