// The tensors of a Hugging Face checkpoint folder, sharded or not, behind one interface: readers
// never need to know whether `model.safetensors.index.json` exists.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileNameProblem } from '../fileNames.js';
import { JsonPolicyError, parseJsonBytes } from '../json.js';
import { NotRegularFileError, readRegularFile } from '../regularFile.js';
import { SafetensorsError } from '../safetensors/errors.js';
import { SafetensorsFile, type TensorInfo } from '../safetensors/reader.js';

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';

export interface ShardIndex {
  metadata?: { total_size?: number };
  weight_map: Record<string, string>;
}

/**
 * A shard index's bytes, checked: JSON under the reading policy (src/formats/json.ts) whose
 * weight_map names plain files of the folder.
 */
export function parseIndex(bytes: Uint8Array, path: string): ShardIndex {
  let parsed: unknown;
  try {
    parsed = parseJsonBytes(bytes, path, { maxBytes: MAX_INDEX_BYTES, code: 'BAD_CHECKPOINT' });
  } catch (err) {
    if (err instanceof JsonPolicyError) throw new SafetensorsError(path, String(err.details.problem));
    throw err;
  }
  const map = (parsed as { weight_map?: unknown })?.weight_map;
  if (typeof map !== 'object' || map === null || Object.values(map).some((v) => typeof v !== 'string')) {
    throw new SafetensorsError(path, 'weight_map must map tensor names to file names');
  }
  // The file-name rule of the Hub commit route (src/formats/fileNames.ts): a shard is a file of the
  // repository, and a name with CR/LF or a control character would be refused on upload.
  for (const f of new Set(Object.values(map as Record<string, string>))) {
    const problem = fileNameProblem(f) ?? (f.startsWith('.') ? 'must not start with "."' : null);
    if (problem) throw new SafetensorsError(path, `shard ${JSON.stringify(f.slice(0, 300))} ${problem}`);
  }
  return parsed as ShardIndex;
}

/** The index is a small JSON file (a few hundred kB for the largest models); more is not an index. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export async function readIndex(path: string, roots?: readonly string[]): Promise<ShardIndex> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, MAX_INDEX_BYTES, { roots });
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new SafetensorsError(path, err.details.problem as string);
    throw err;
  }
  return parseIndex(bytes, path);
}

export class CheckpointTensors {
  private constructor(
    readonly dir: string,
    readonly files: readonly SafetensorsFile[],
    private readonly byName: ReadonlyMap<string, SafetensorsFile>,
    readonly sharded: boolean,
  ) {}

  /** `roots`: the import roots every file read must lie under (registration); omitted for Bonsai's own folders. */
  static async open(dir: string, roots?: readonly string[]): Promise<CheckpointTensors> {
    const indexPath = join(dir, INDEX_FILE);
    const opened: SafetensorsFile[] = [];
    try {
      const present = new Set(await readdir(dir).catch(() => [] as string[]));
      if (present.has(INDEX_FILE)) {
        const index = await readIndex(indexPath, roots);
        const shardNames = [...new Set(Object.values(index.weight_map))].sort();
        const byName = new Map<string, SafetensorsFile>();
        for (const shard of shardNames) {
          const file = await SafetensorsFile.open(join(dir, shard), roots);
          opened.push(file);
          for (const name of file.tensors.keys()) {
            if (index.weight_map[name] !== shard) {
              throw new SafetensorsError(file.path, `tensor is not listed for this shard in ${INDEX_FILE}`, name);
            }
            if (byName.has(name)) throw new SafetensorsError(file.path, 'tensor appears in two shards', name);
            byName.set(name, file);
          }
        }
        for (const [name, shard] of Object.entries(index.weight_map)) {
          if (!byName.has(name)) throw new SafetensorsError(join(dir, shard), `listed in ${INDEX_FILE} but missing from the shard`, name);
        }
        return new CheckpointTensors(dir, opened, byName, true);
      }
      const single = join(dir, SINGLE_FILE);
      if (!present.has(SINGLE_FILE)) {
        const others = [...present].filter((f) => f.endsWith('.safetensors'));
        throw new SafetensorsError(
          dir,
          others.length > 0
            ? `found ${others.join(', ')} but neither ${SINGLE_FILE} nor ${INDEX_FILE}`
            : `no ${SINGLE_FILE} or ${INDEX_FILE} (only safetensors weights are supported)`,
        );
      }
      const file = await SafetensorsFile.open(single, roots);
      opened.push(file);
      return new CheckpointTensors(dir, opened, new Map([...file.tensors.keys()].map((n) => [n, file])), false);
    } catch (err) {
      await Promise.all(opened.map((f) => f.close()));
      throw err;
    }
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  fileOf(name: string): SafetensorsFile {
    const f = this.byName.get(name);
    if (!f) throw new SafetensorsError(this.dir, 'no such tensor in the checkpoint', name);
    return f;
  }

  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }

  infos(): TensorInfo[] {
    return this.files.flatMap((f) => [...f.tensors.values()]);
  }

  readBytes(name: string): Promise<Uint8Array> {
    return this.fileOf(name).readBytes(name);
  }

  readFloat32(name: string): Promise<Float32Array> {
    return this.fileOf(name).readFloat32(name);
  }

  streamBytes(name: string, chunkBytes?: number): AsyncGenerator<Uint8Array> {
    return this.fileOf(name).streamBytes(name, chunkBytes);
  }

  /** Metadata of the first shard (writers put the same metadata in every shard). */
  metadata(): Readonly<Record<string, string>> {
    return this.files[0]?.metadata ?? {};
  }

  bytesOnDisk(): number {
    return this.files.reduce((a, f) => a + f.size, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}
