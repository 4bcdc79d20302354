// Exported graphs are cached per checkpoint: the key is the sha256 of the export version and of
// every file's sha256, so a pruned child gets its own graph and an unchanged one is reused.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPORT_VERSION, exportOnnx } from './export.js';

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** sha256 of every file that shapes the graph (config and weights), computed when not given. */
export async function checkpointKey(dir: string, fileHashes?: Record<string, string>): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n === 'config.json' || n.endsWith('.safetensors')).sort();
  const h = createHash('sha256').update(`bonsai-onnx-${EXPORT_VERSION}\n`);
  for (const n of names) h.update(`${n} ${fileHashes?.[n] ?? (await sha256File(join(dir, n)))}\n`);
  return h.digest('hex');
}

/** The cached graph of a checkpoint, exported on first use. */
export async function cachedOnnx(dir: string, cacheDir: string, fileHashes?: Record<string, string>): Promise<string> {
  const key = await checkpointKey(dir, fileHashes);
  const out = join(cacheDir, key.slice(0, 32));
  const model = join(out, 'model.onnx');
  if (!existsSync(model)) await exportOnnx(dir, out);
  return model;
}
