// Streaming safetensors writer: the header (offsets of every tensor) is written first, then the
// tensors one at a time in that order, so no more than one tensor — or one chunk of it — is held.
import { type FileHandle, open } from 'node:fs/promises';
import { DTYPE_BYTES, type Dtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';

export interface TensorSpec {
  name: string;
  dtype: Dtype;
  shape: number[];
}

export function byteSize(spec: Pick<TensorSpec, 'dtype' | 'shape'>): number {
  return spec.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[spec.dtype];
}

/** The header bytes for `specs` in the given order, padded with spaces to a multiple of 8. */
export function encodeHeader(specs: readonly TensorSpec[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const s of specs) {
    const size = byteSize(s);
    header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

export type TensorData = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Where a safetensors file's tensors go, one at a time in the header's order: a file, or a store's pieces. */
export interface TensorFileWriter {
  /** Writes the next tensor; its name must be the next in the header's order. */
  write(name: string, data: TensorData): Promise<void>;
  finish(): Promise<void>;
  /** Gives up on the file (a caller that is abandoning it). */
  abort(): Promise<void>;
}

/** Makes the writer of the file `path` with these tensors, in this order, and this metadata. */
export type TensorFileFactory = (
  path: string,
  specs: readonly TensorSpec[],
  metadata?: Record<string, string>,
) => Promise<TensorFileWriter>;

/** The spec the next write must name, or the error a writer of `path` throws for `name` out of order. */
export function nextSpec(path: string, specs: readonly TensorSpec[], next: number, name: string): TensorSpec {
  const spec = specs[next];
  if (!spec || spec.name !== name) {
    throw new SafetensorsError(path, `written out of order (expected ${spec?.name ?? 'no more tensors'})`, name);
  }
  return spec;
}

/** Refuses a tensor name given twice, before anything is written. */
export function checkUniqueNames(path: string, specs: readonly TensorSpec[]): void {
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new SafetensorsError(path, 'duplicate tensor name', s.name);
    names.add(s.name);
  }
}

export class SafetensorsWriter implements TensorFileWriter {
  private next = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly specs: readonly TensorSpec[],
  ) {}

  static async create(path: string, specs: readonly TensorSpec[], metadata?: Record<string, string>): Promise<SafetensorsWriter> {
    checkUniqueNames(path, specs);
    const handle = await open(path, 'wx');
    try {
      await handle.write(encodeHeader(specs, metadata));
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new SafetensorsWriter(path, handle, specs);
  }

  /** Writes the next tensor; its name must be the next in the header's order. */
  async write(name: string, data: TensorData): Promise<void> {
    const spec = nextSpec(this.path, this.specs, this.next, name);
    const expected = byteSize(spec);
    let written = 0;
    const chunks = data instanceof Uint8Array ? [data] : data;
    for await (const chunk of chunks) {
      written += chunk.byteLength;
      if (written > expected) break;
      await this.handle.write(chunk);
    }
    if (written !== expected) {
      throw new SafetensorsError(this.path, `got ${written} bytes, the header promised ${expected}`, name);
    }
    this.next++;
  }

  async finish(): Promise<void> {
    try {
      if (this.next !== this.specs.length) {
        throw new SafetensorsError(this.path, `closed after ${this.next} of ${this.specs.length} tensors`);
      }
    } finally {
      await this.handle.close();
    }
  }

  /** Closes without the completeness check, for a caller that is abandoning the file. */
  abort(): Promise<void> {
    return this.handle.close();
  }
}
