// Stores the pieces of a local file (layout.ts) in one sequential read. Each chunk read is hashed
// into the whole file's sha256 (on another thread for a large file, hashThread.ts) and into its
// piece's. When a piece ends its hash is known: a piece the store has already is dropped, a new one
// is staged in a local file (a small piece is held in memory until then, a large one is staged as
// it arrives and deleted if the store has it: unflushed, its bytes never reach the disk). The new
// pieces are put once the file is read: on a folder store a put is a flush and a rename, and
// flushes during the read held libuv's threads (4, shared with the reads) for seconds on a busy
// disk, where the whole file's single flush comes after its read too. The bytes hashed are the
// bytes stored, so a file that changes meanwhile cannot give a piece bytes its hash does not name.
// Before this the file was read once to hash it, then again per piece to copy it, each piece
// flushed before the next was read: 4× the time of storing the file whole (bench:store).
import { createHash } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Hasher, hashHere, hashThread } from './hashThread.js';
import type { Pieces } from './layout.js';
import type { ObjectStore } from './objects.js';

export type HashedPiece = Pieces[number] & { sha256: string };

export interface WrittenPieces {
  /** The whole file's sha256 and size. */
  sha256: string;
  size: number;
  pieces: HashedPiece[];
  /** The pieces this call put (the store lacked them), by sha256. */
  written: string[];
}

/**
 * The piece being read: its hash so far, and its bytes, held in memory (a piece up to HOLD bytes,
 * written only if the store lacks it) or written to a staging file as they arrive (a larger one).
 */
interface Staging {
  hash: ReturnType<typeof createHash>;
  at: number;
  held?: Buffer;
  file?: { handle: FileHandle; path: string; writes: Promise<unknown>[] };
}

/** 4 MiB reads; six of them in use at once (being read, hashed or written) bound the memory to 24 MiB. */
const CHUNK = 4 << 20;
const BUFFERS = 6;
/** Below this a thread costs more to start than the second hash it takes over. */
const THREAD_ABOVE = 32 << 20;
/**
 * A piece up to this size is held in memory until its hash says whether the store needs it, so a
 * derivative's unchanged tensors are never written; a larger one (an embedding) is staged as it
 * arrives. Held pieces go in PUTS + 2 reused buffers (48 MiB): fresh ones cost more in page faults
 * than the hashing (bench:store's CPU profile).
 */
const HOLD = 8 << 20;
/** Pieces being checked and staged while reading goes on (bounds the memory held), and puts at once after. */
const PUTS = 4;

/**
 * Reads `ranges` of `handle` once and puts each piece the store lacks as `keyOf(sha256)`, staged
 * under `staging` (a folder of this call's own, on the store's disk for a folder store). A piece
 * it has is touched, so no removal takes it before the caller's manifest names it. On an error
 * the pieces put are removed again (a kill leaves them to the sweep).
 */
export async function writePieces(
  objects: ObjectStore,
  handle: FileHandle,
  ranges: Pieces,
  keyOf: (sha256: string) => string,
  options: { staging: string; path: string; signal?: AbortSignal },
): Promise<WrittenPieces> {
  const { staging, path, signal } = options;
  const end = ranges.at(-1)!.end;
  const whole: Hasher = end > THREAD_ABOVE ? hashThread() : hashHere();
  const buffers = bufferPool(Math.min(CHUNK, end), BUFFERS, true);
  const holds = bufferPool(Math.min(HOLD, end), PUTS + 2, false);
  const pieces: HashedPiece[] = [];
  const written: string[] = [];
  /** New pieces staged, put once the file is read. */
  const staged: Array<{ sha256: string; path: string }> = [];
  /** Pieces this call has put or is putting: a second copy in the same file is dropped. */
  const claimed = new Set<string>();
  const puts: Promise<void>[] = [];
  let failure: unknown;
  let current: Staging | undefined;

  const finishPiece = (range: Pieces[number]) => {
    const p = current!;
    current = undefined;
    const sha256 = p.hash.digest('hex');
    pieces.push({ ...range, sha256 });
    const index = pieces.length - 1;
    const first = !claimed.has(sha256);
    claimed.add(sha256);
    const stage = async () => {
      // A staging write that failed (ENOSPC on a full store) matters only if the store lacks the
      // piece: a model whose tensors are all stored already registers on a full disk.
      let writeFailure: unknown;
      if (p.file) {
        try {
          writeFailure = (await Promise.allSettled(p.file.writes)).find((r) => r.status === 'rejected')?.reason;
        } finally {
          await p.file.handle.close();
        }
      }
      const key = keyOf(sha256);
      if (first && !(await objects.head(key))) {
        if (writeFailure !== undefined) throw writeFailure;
        const path = p.file?.path ?? join(staging, String(index));
        if (p.held) await writeOnce(path, p.held);
        staged.push({ sha256, path });
        return;
      }
      if (first) await objects.touch(key);
      if (p.file) await rm(p.file.path, { force: true });
    };
    const release = () => p.held && holds.give(Buffer.from(p.held.buffer, p.held.byteOffset, Math.min(HOLD, end)));
    puts.push(
      stage()
        .catch((err) => {
          failure ??= err;
        })
        .finally(release),
    );
  };

  try {
    let position = 0;
    let i = 0;
    while (position < end) {
      signal?.throwIfAborted();
      if (failure) throw failure;
      // At most PUTS pieces in flight: wait for the oldest (it records its own failure).
      while (puts.length > PUTS) await puts.shift();
      const buf = await buffers.take();
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, end - position), position);
      if (bytesRead === 0) throw new Error(`${path} changed while it was being stored (it is shorter)`);
      const chunk = buf.subarray(0, bytesRead);
      const uses: Promise<unknown>[] = [whole.update(chunk)];
      let at = 0;
      while (at < chunk.length) {
        const range = ranges[i]!;
        if (!current) {
          const size = range.end - range.begin;
          current = { hash: createHash('sha256'), at: 0 };
          if (size <= HOLD) current.held = (await holds.take()).subarray(0, size);
          else {
            const file = join(staging, String(i));
            current.file = { handle: await open(file, 'w'), path: file, writes: [] };
          }
        }
        const take = Math.min(chunk.length - at, range.end - (position + at));
        const part = chunk.subarray(at, at + take);
        current.hash.update(part);
        if (current.held) part.copy(current.held, current.at);
        else {
          const write = current.file!.handle.write(part, 0, take, current.at);
          current.file!.writes.push(write);
          uses.push(write);
        }
        current.at += take;
        at += take;
        if (position + at === range.end) {
          finishPiece(range);
          i++;
        }
      }
      position += bytesRead;
      // The buffer is reused once its bytes are hashed and written; a failed write fails the piece.
      void Promise.allSettled(uses).then(() => buffers.give(buf));
    }
    const { bytesRead: more } = await handle.read(Buffer.alloc(1), 0, 1, end);
    if (more !== 0) throw new Error(`${path} changed while it was being stored (it is longer)`);
    await Promise.all(puts);
    if (failure) throw failure;
    await putAll(staged, PUTS, async (s) => {
      signal?.throwIfAborted();
      written.push(s.sha256);
      await objects.putFile(keyOf(s.sha256), s.path, signal);
    });
    return { sha256: await whole.digest(), size: end, pieces, written };
  } catch (err) {
    await Promise.all(puts);
    await objects.remove(written.map(keyOf)).catch(() => {});
    throw err;
  } finally {
    whole.close();
    if (current?.file) {
      await Promise.allSettled(current.file.writes);
      await current.file.handle.close();
    }
  }
}

/** Runs `put` on each item, `n` at a time; the first failure is thrown once the others have settled. */
async function putAll<T>(items: T[], n: number, put: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length && failure === undefined) {
        try {
          await put(items[next++]!);
        } catch (err) {
          failure ??= err;
        }
      }
    }),
  );
  if (failure !== undefined) throw failure;
}

/** Writes `bytes` as the new file `path` in one call (fs.writeFile writes 512 KiB at a time). */
async function writeOnce(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let at = 0;
    while (at < bytes.length) at += (await handle.write(bytes, at, bytes.length - at, at)).bytesWritten;
  } finally {
    await handle.close();
  }
}

/** `count` reused buffers (shared with the hashing thread when `shared`); `take` waits while all are in use. */
function bufferPool(size: number, count: number, shared: boolean) {
  const free: Buffer[] = [];
  const waiting: Array<(b: Buffer) => void> = [];
  let made = 0;
  return {
    async take(): Promise<Buffer> {
      const b = free.pop();
      if (b) return b;
      if (made < count) {
        made++;
        return shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafeSlow(size);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    give(b: Buffer) {
      const w = waiting.shift();
      if (w) w(b);
      else free.push(b);
    },
  };
}
