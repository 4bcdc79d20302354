// Writes a checkpoint's tensors as one `model.safetensors` or, past `maxShardBytes`, as
// `model-0000i-of-0000n.safetensors` shards with a `model.safetensors.index.json`, as
// transformers' `save_pretrained(max_shard_size=…)` does.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byteSize, SafetensorsWriter, type TensorData, type TensorFileFactory, type TensorSpec } from '../safetensors/writer.js';
import { INDEX_FILE, SINGLE_FILE } from './tensors.js';

export interface WriteTensorsOptions {
  maxShardBytes?: number;
  metadata?: Record<string, string>;
  /** Called after each tensor, for progress reporting. */
  onTensor?: (done: number, total: number, name: string) => void;
  /** Where each safetensors file goes: a file in `dir` (the default), or elsewhere (a store's pieces). */
  create?: TensorFileFactory;
}

export function planShards(specs: readonly TensorSpec[], maxShardBytes = Number.POSITIVE_INFINITY): TensorSpec[][] {
  const shards: TensorSpec[][] = [];
  let current: TensorSpec[] = [];
  let size = 0;
  for (const s of specs) {
    const b = byteSize(s);
    if (current.length > 0 && size + b > maxShardBytes) {
      shards.push(current);
      current = [];
      size = 0;
    }
    current.push(s);
    size += b;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

/** Returns the file names written, in order. */
export async function writeTensors(
  dir: string,
  specs: readonly TensorSpec[],
  source: (spec: TensorSpec) => Promise<TensorData> | TensorData,
  options: WriteTensorsOptions = {},
): Promise<string[]> {
  const shards = planShards(specs, options.maxShardBytes);
  const n = shards.length;
  const names =
    n === 1 ? [SINGLE_FILE] : shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
  let done = 0;
  for (const [i, shard] of shards.entries()) {
    const writer = await (options.create ?? SafetensorsWriter.create)(join(dir, names[i]!), shard, options.metadata);
    try {
      for (const spec of shard) {
        await writer.write(spec.name, await source(spec));
        options.onTensor?.(++done, specs.length, spec.name);
      }
      await writer.finish();
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }
  if (n > 1) {
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) for (const s of shard) weightMap[s.name] = names[i]!;
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const totalSize = specs.reduce((a, s) => a + byteSize(s), 0);
    await writeFile(join(dir, INDEX_FILE), `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sorted }, null, 2)}\n`);
    names.push(INDEX_FILE);
  }
  return names;
}
