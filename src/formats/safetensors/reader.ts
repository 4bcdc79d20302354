// Reads one safetensors file a tensor at a time: the header is validated up front, and a tensor's
// bytes are read from disk only when asked for, so memory stays near the largest tensor.
import { JoinedFile } from '../joinedFile.js';
import { joinedViewOf } from '../joinedViews.js';
import { type PositionalFile, readAhead, readFully as readBytesFully } from '../positionalRead.js';
import { NotRegularFileError, openRegular } from '../regularFile.js';
import { type Dtype, toFloat32 } from './dtypes.js';
import { SafetensorsError } from './errors.js';
import { checkHeaderLength, parseHeader, type TensorInfo } from './header.js';

export type { TensorInfo } from './header.js';

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: PositionalFile,
    readonly size: number,
    readonly headerLength: number,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** `roots`: the import roots the file's real path must lie under (src/formats/regularFile.ts). */
  static async open(path: string, roots?: readonly string[]): Promise<SafetensorsFile> {
    let opened: { handle: PositionalFile; size: number };
    // A job's checkout reads a file the store keeps in pieces in place (src/formats/joinedViews.ts);
    // never a file read under import roots, which is a user's own.
    const parts = roots ? undefined : await joinedViewOf(path);
    try {
      if (parts) {
        const joined = new JoinedFile(parts);
        opened = { handle: joined, size: joined.size };
      } else opened = await openRegular(path, { roots });
    } catch (err) {
      if (err instanceof NotRegularFileError) throw new SafetensorsError(path, err.details.problem as string);
      throw err;
    }
    const { handle, size } = opened;
    try {
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
    // Not zero-filled (it is overwritten at once) and never from the shared pool, so it starts at
    // offset 0 of its own ArrayBuffer and typed-array views of any width are aligned.
    const out = Buffer.allocUnsafeSlow(t.end - t.begin);
    await readFully(this.handle, out, t.begin, this.path, name);
    return out;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    return toFloat32(await this.readBytes(name), t.dtype);
  }

  /**
   * The tensor's bytes in chunks of at most `chunkBytes`, for copying without holding it whole.
   * A chunk is valid until the next one is requested: five 1 MiB buffers rotate while four reads
   * are in flight (src/formats/positionalRead.ts), and 1 MiB copies stay cache-friendly.
   */
  async *streamBytes(name: string, chunkBytes = 1 << 20): AsyncGenerator<Uint8Array> {
    const t = this.info(name);
    yield* readAhead(this.handle, {
      start: t.begin,
      end: t.end,
      chunkBytes,
      buffers: 'rotate',
      onShort: (at) => shortFile(this.path, at, name),
    });
  }

  dtypes(): Set<Dtype> {
    return new Set([...this.tensors.values()].map((t) => t.dtype));
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

// The file shrank after its header was validated (or a piece of a joined file is shorter than its manifest says).
function shortFile(file: string, at: number, tensor?: string): SafetensorsError {
  return new SafetensorsError(file, `unexpected end of file at byte ${at}`, tensor);
}

function readFully(file: PositionalFile, into: Uint8Array, position: number, path: string, tensor?: string): Promise<void> {
  return readBytesFully(file, into, position, (at) => shortFile(path, at, tensor));
}
