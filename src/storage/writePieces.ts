// Stores the pieces of a local file (layout.ts) in one sequential read. Each chunk read is hashed
// into the whole file's sha256 (on another thread for a large file, hashThread.ts) and goes to its
// piece (pieceStager.ts: hashed, dropped when the store has it, staged otherwise). The new pieces
// are put once the file is read: on a folder store a put is a flush and a rename, and flushes
// during the read held libuv's threads (4, shared with the reads) for seconds on a busy disk, where
// the whole file's single flush comes after its read too. Before this the file was read once to
// hash it, then again per piece to copy it, each piece flushed before the next was read: 4× the
// time of storing the file whole (bench:store).
import type { FileHandle } from 'node:fs/promises';
import { bufferPool } from './bufferPool.js';
import { type Hasher, hashHere, hashThread } from './hashThread.js';
import type { Pieces } from './layout.js';
import type { ObjectStore } from './objects.js';
import { PieceStager, RangeCutter } from './pieceStager.js';

export interface ReadPieces {
  /** The whole file's sha256 and size. */
  sha256: string;
  size: number;
  /** Its pieces, the new ones staged (put by the store once it knows it lacks the file). */
  stager: PieceStager;
}

/** 4 MiB reads; six of them in use at once (being read, hashed or written) bound the memory to 24 MiB. */
export const CHUNK = 4 << 20;
const BUFFERS = 6;
/** Below this a thread costs more to start than the second hash it takes over. */
const THREAD_ABOVE = 32 << 20;

/** The whole file's sha256: on a thread of its own for a file above THREAD_ABOVE bytes (bytes given must be shared memory). */
function wholeFileHasher(size: number): Hasher {
  return size > THREAD_ABOVE ? hashThread() : hashHere();
}

/**
 * The same for bytes in ordinary memory (a tensor the engine made, an upload's chunk): above
 * THREAD_ABOVE each is copied into one of six reused shared buffers for the thread, and `update`
 * resolves once it is copied, so the caller may reuse its bytes at once; it waits only while
 * the thread is six chunks behind.
 */
export function copyingWholeHasher(size: number): Hasher {
  if (size <= THREAD_ABOVE) return hashHere();
  const thread = hashThread();
  const buffers = bufferPool(CHUNK, 6, true);
  return {
    async update(bytes) {
      for (let at = 0; at < bytes.length; at += CHUNK) {
        const part = bytes.subarray(at, Math.min(bytes.length, at + CHUNK));
        const shared = await buffers.take();
        shared.set(part);
        const give = () => buffers.give(shared);
        void thread.update(shared.subarray(0, part.length)).then(give, give);
      }
    },
    digest: () => thread.digest(),
    close: () => thread.close(),
  };
}

/**
 * Reads `ranges` of `handle` once into pieces, each one the store lacks staged under `staging` (a
 * folder of this call's own, on the store's disk for a folder store) as `keyOf(sha256)` will be:
 * nothing is put, so a failure leaves nothing in the store.
 */
export async function writePieces(
  objects: ObjectStore,
  handle: FileHandle,
  ranges: Pieces,
  keyOf: (sha256: string) => string,
  options: { staging: string; path: string; signal?: AbortSignal },
): Promise<ReadPieces> {
  const { staging, path, signal } = options;
  const end = ranges.at(-1)!.end;
  const whole = wholeFileHasher(end);
  const buffers = bufferPool(Math.min(CHUNK, end), BUFFERS, true);
  const stager = new PieceStager(objects, keyOf, staging, end);
  try {
    const cutter = new RangeCutter(stager, ranges);
    let position = 0;
    while (position < end) {
      signal?.throwIfAborted();
      const buf = await buffers.take();
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, end - position), position);
      if (bytesRead === 0) throw new Error(`${path} changed while it was being stored (it is shorter)`);
      const chunk = buf.subarray(0, bytesRead);
      const uses: Array<Promise<unknown> | undefined> = [whole.update(chunk), ...(await cutter.push(chunk))];
      position += bytesRead;
      // The buffer is reused once its bytes are hashed and written; a failed write fails the piece.
      void Promise.allSettled(uses).then(() => buffers.give(buf));
    }
    const { bytesRead: more } = await handle.read(Buffer.alloc(1), 0, 1, end);
    if (more !== 0) throw new Error(`${path} changed while it was being stored (it is longer)`);
    await stager.settle();
    return { sha256: await whole.digest(), size: end, stager };
  } catch (err) {
    await stager.abandon();
    throw err;
  } finally {
    whole.close();
  }
}
