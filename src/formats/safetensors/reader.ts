// Reads one safetensors file a tensor at a time: the header is validated up front, and a tensor's
// bytes are read from disk only when asked for, so memory stays near the largest tensor.
import { type FileHandle, open } from 'node:fs/promises';
import { type Dtype, toFloat32 } from './dtypes.js';
import { SafetensorsError } from './errors.js';
import { checkHeaderLength, parseHeader, type TensorInfo } from './header.js';

export type { TensorInfo } from './header.js';

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
    readonly headerLength: number,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size < 8) throw new SafetensorsError(path, `file is ${size} bytes, shorter than the 8-byte header length`);
      const prefix = Buffer.alloc(8);
      await readFully(handle, prefix, 0, path);
      const headerLength = checkHeaderLength(path, prefix.readBigUInt64LE(0), size);
      const headerBytes = Buffer.alloc(headerLength);
      await readFully(handle, headerBytes, 8, path);
      const header = parseHeader(path, headerBytes, size);
      return new SafetensorsFile(path, handle, size, headerLength, new Map(header.tensors.map((t) => [t.name, t])), header.metadata);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError(this.path, 'no such tensor', name);
    return t;
  }

  /** The tensor's raw little-endian bytes, in a fresh (aligned) buffer. */
  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const out = new Uint8Array(new ArrayBuffer(t.end - t.begin));
    await readFully(this.handle, out, t.begin, this.path, name);
    return out;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    return toFloat32(await this.readBytes(name), t.dtype);
  }

  /** The tensor's bytes in chunks of at most `chunkBytes`, for copying without holding it whole. */
  async *streamBytes(name: string, chunkBytes = 16 << 20): AsyncGenerator<Uint8Array> {
    const t = this.info(name);
    const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(1, t.end - t.begin)));
    for (let pos = t.begin; pos < t.end; pos += buffer.length) {
      const n = Math.min(buffer.length, t.end - pos);
      await readFully(this.handle, buffer.subarray(0, n), pos, this.path, name);
      yield buffer.subarray(0, n);
    }
  }

  dtypes(): Set<Dtype> {
    return new Set([...this.tensors.values()].map((t) => t.dtype));
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function readFully(handle: FileHandle, into: Uint8Array, position: number, file: string, tensor?: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    // The file shrank after its header was validated.
    if (bytesRead === 0) throw new SafetensorsError(file, `unexpected end of file at byte ${position + done}`, tensor);
    done += bytesRead;
  }
}
