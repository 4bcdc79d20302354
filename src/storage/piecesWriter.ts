// A safetensors file written straight as the store's pieces (layout.ts: its header, then one piece
// per tensor), for a prune's result: the engine hands each tensor over as it makes it, each is
// hashed on the way (its piece's sha256 here, the whole file's on another thread), a tensor the
// store has already (a width prune's attention, a trim's blocks) is dropped, and a new one is
// staged as the file of its piece. Storing the result is then renames and a manifest
// (ArtifactStore.adoptFolder): the file is never written whole, read back or copied into pieces,
// which made storing a prune in pieces 1.7–2.3× a rename of the whole file (bench:store).
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SafetensorsError } from '../formats/safetensors/errors.js';
import {
  byteSize,
  checkUniqueNames,
  encodeHeader,
  nextSpec,
  SafetensorsWriter,
  type TensorData,
  type TensorFileWriter,
  type TensorSpec,
} from '../formats/safetensors/writer.js';
import type { Hasher } from './hashThread.js';
import { PIECES_HEADER_LIMIT } from './layout.js';
import type { ObjectStore } from './objects.js';
import { PieceStager } from './pieceStager.js';
import { CHUNK, copyingWholeHasher } from './writePieces.js';

/** A file written as pieces, waiting to be stored: its sha256 and size, and the stager holding its new pieces. */
export interface StagedFile {
  /** The file's name in the checkpoint folder. */
  name: string;
  sha256: string;
  size: number;
  stager: PieceStager;
}

export class PiecesWriter implements TensorFileWriter {
  private next = 0;

  private constructor(
    readonly path: string,
    private readonly specs: readonly TensorSpec[],
    private readonly stager: PieceStager,
    private readonly whole: Hasher,
    private readonly size: number,
    private readonly done: (file: StagedFile) => void,
  ) {}

  /**
   * Starts the file `path` (its name is what the result is recorded under) with its header as the
   * first piece; new pieces are staged in `staging`, a folder of this file's own.
   */
  static async create(
    objects: ObjectStore,
    keyOf: (sha256: string) => string,
    staging: string,
    path: string,
    specs: readonly TensorSpec[],
    metadata: Record<string, string> | undefined,
    done: (file: StagedFile) => void,
  ): Promise<PiecesWriter> {
    checkUniqueNames(path, specs);
    const header = encodeHeader(specs, metadata);
    const size = specs.reduce((a, s) => a + byteSize(s), header.length);
    await mkdir(staging, { recursive: true });
    const writer = new PiecesWriter(path, specs, new PieceStager(objects, keyOf, staging, size), copyingWholeHasher(size), size, done);
    try {
      await writer.piece(header.length, [header]);
    } catch (err) {
      await writer.abort();
      throw err;
    }
    return writer;
  }

  async write(name: string, data: TensorData): Promise<void> {
    const spec = nextSpec(this.path, this.specs, this.next, name);
    const expected = byteSize(spec);
    const written = await this.piece(expected, data instanceof Uint8Array ? [data] : data);
    if (written !== expected) throw new SafetensorsError(this.path, `got ${written} bytes, the header promised ${expected}`, name);
    this.next++;
  }

  async finish(): Promise<void> {
    if (this.next !== this.specs.length) {
      await this.abort();
      throw new SafetensorsError(this.path, `closed after ${this.next} of ${this.specs.length} tensors`);
    }
    try {
      await this.stager.settle();
      const sha256 = await this.whole.digest();
      this.done({ name: basename(this.path), sha256, size: this.size, stager: this.stager });
    } finally {
      this.whole.close();
    }
  }

  async abort(): Promise<void> {
    this.whole.close();
    await this.stager.abandon();
  }

  /**
   * One piece of `expected` bytes from `chunks` (an empty tensor is no piece, as layout.ts cuts a
   * file); returns the bytes that came, stopping once they pass `expected`. Each chunk is done with
   * before the next is asked for: a checkpoint's stream reuses its buffers.
   */
  private async piece(expected: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    if (expected > 0) await this.stager.begin(expected);
    let got = 0;
    for await (const chunk of chunks) {
      if (got + chunk.byteLength > expected) return got + chunk.byteLength;
      // In CHUNK slices: a staging write is one write(2), which Linux caps at 2 GiB (an embedding can be larger).
      for (let at = 0; at < chunk.byteLength; at += CHUNK) {
        const part = chunk.subarray(at, Math.min(chunk.byteLength, at + CHUNK));
        await this.whole.update(part);
        await this.stager.add(part);
      }
      got += chunk.byteLength;
    }
    if (expected > 0 && got === expected) this.stager.end();
    return got;
  }
}

/**
 * Writers of safetensors files as pieces for one output folder (a TensorFileFactory for the prune
 * engine); `files` are the finished ones, by name.
 */
export function piecesWriters(objects: ObjectStore, keyOf: (sha256: string) => string, staging: string) {
  const files = new Map<string, StagedFile>();
  let n = 0;
  return {
    files,
    create: (path: string, specs: readonly TensorSpec[], metadata?: Record<string, string>): Promise<TensorFileWriter> =>
      // A file layout.ts would store whole (a header past PIECES_HEADER_LIMIT) is written as a file.
      encodeHeader(specs, metadata).length - 8 > PIECES_HEADER_LIMIT
        ? SafetensorsWriter.create(path, specs, metadata)
        : PiecesWriter.create(objects, keyOf, join(staging, String(n++)), path, specs, metadata, (f) => files.set(f.name, f)),
  };
}
