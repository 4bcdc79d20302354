// The pieces of one file as its bytes go by, in order (layout.ts says where each piece ends): each
// piece is hashed as it arrives, and when it ends its hash says whether the store needs it. A piece
// the store has already is dropped (and touched, so no removal takes it before the caller's
// manifest names it); a new one is staged in a local file, put once the whole file has gone by. A
// small piece is held in memory until its hash is known, a large one (an embedding) is staged as it
// arrives and deleted if the store has it: unflushed, its bytes never reach the disk. The bytes
// hashed are the bytes staged, so a piece can never hold bytes its hash does not name.
// Two writers feed it: writePieces.ts (a file on disk, read once) and piecesWriter.ts (a prune's
// tensors as the engine writes them, so that storing its result is renames).
import { createHash } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferPool } from './bufferPool.js';
import type { Pieces } from './layout.js';
import type { ObjectStore } from './objects.js';

/**
 * A piece up to this size is held in memory until its hash says whether the store needs it, so a
 * derivative's unchanged tensors are never written; a larger one is staged as it arrives. Held
 * pieces go in PUTS + 2 reused buffers (48 MiB): fresh ones cost more in page faults than the
 * hashing (bench:store's CPU profile).
 */
const HOLD = 8 << 20;
/** Pieces being checked and staged while bytes go on arriving (bounds the memory held), and puts at once after. */
const PUTS = 4;

interface StagedPiece {
  sha256: string;
  size: number;
}

/**
 * The piece being received: its hash so far, and its bytes, held in memory (up to HOLD bytes) or
 * written to a staging file as they arrive (a larger one).
 */
interface Receiving {
  hash: ReturnType<typeof createHash>;
  size: number;
  at: number;
  held?: Buffer;
  file?: { handle: FileHandle; path: string; writes: Promise<unknown>[] };
}

export class PieceStager {
  /** Every piece so far, in file order. */
  readonly pieces: StagedPiece[] = [];
  /** New pieces staged (the store lacked them), put by putStaged. */
  private readonly staged: Array<{ sha256: string; path: string }> = [];
  /** Pieces staged by this stager: a second copy in the same file is dropped. */
  private readonly claimed = new Set<string>();
  private readonly checks: Promise<void>[] = [];
  private readonly holds: ReturnType<typeof bufferPool>;
  private failure: unknown;
  private current: Receiving | undefined;

  /**
   * `staging`: a folder of this stager's own (on the store's disk for a folder store);
   * `largest`: the file's size, which bounds the buffers held.
   */
  constructor(
    private readonly objects: ObjectStore,
    private readonly keyOf: (sha256: string) => string,
    private readonly staging: string,
    largest: number,
  ) {
    this.holds = bufferPool(Math.max(1, Math.min(HOLD, largest)), PUTS + 2, false);
  }

  /** Starts the next piece, of `size` bytes (> 0). Waits while PUTS pieces are still being checked. */
  async begin(size: number): Promise<void> {
    this.throwIfFailed();
    // At most PUTS pieces in flight: wait for the oldest (it records its own failure).
    while (this.checks.length > PUTS) await this.checks.shift();
    this.throwIfFailed();
    const current: Receiving = { hash: createHash('sha256'), size, at: 0 };
    if (size <= HOLD) current.held = (await this.holds.take()).subarray(0, size);
    else {
      const path = join(this.staging, String(this.pieces.length));
      current.file = { handle: await open(path, 'w'), path, writes: [] };
    }
    this.current = current;
  }

  /**
   * Adds the piece's next bytes. The promise (for a staged piece) settles once `part` is written and
   * may be reused; a held piece has copied it before this returns.
   */
  add(part: Uint8Array): Promise<unknown> | undefined {
    const c = this.current!;
    if (c.at + part.length > c.size) throw new Error(`a piece got more than its ${c.size} bytes`);
    c.hash.update(part);
    let write: Promise<unknown> | undefined;
    if (c.held) c.held.set(part, c.at);
    else {
      const w = c.file!.handle.write(part, 0, part.length, c.at);
      c.file!.writes.push(w);
      // Settles either way: a failed staging write (ENOSPC) is the piece's check's to judge, and
      // matters only if the store lacks the piece.
      write = w.then(
        () => {},
        () => {},
      );
    }
    c.at += part.length;
    return write;
  }

  /** Ends the piece (all its bytes added): its hash is known, and whether the store needs it is checked meanwhile. */
  end(): void {
    const p = this.current!;
    this.current = undefined;
    if (p.at !== p.size) throw new Error(`a piece got ${p.at} of its ${p.size} bytes`);
    const sha256 = p.hash.digest('hex');
    const index = this.pieces.length;
    this.pieces.push({ sha256, size: p.size });
    const first = !this.claimed.has(sha256);
    this.claimed.add(sha256);
    const check = async () => {
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
      // One call both asks and protects: a piece the store has is touched (its age restarts, so
      // no removal within the grace period takes it before the caller's manifest names it), and
      // one a removal took meanwhile reads as missing and is staged from this file's bytes.
      if (first && !(await this.objects.touch(this.keyOf(sha256)))) {
        if (writeFailure !== undefined) throw writeFailure;
        const path = p.file?.path ?? join(this.staging, String(index));
        if (p.held) await writeOnce(path, p.held);
        this.staged.push({ sha256, path });
        return;
      }
      if (p.file) await rm(p.file.path, { force: true });
    };
    const release = () => p.held && this.holds.give(Buffer.from(p.held.buffer, p.held.byteOffset, this.holds.size));
    this.checks.push(
      check()
        .catch((err) => {
          this.failure ??= err;
        })
        .finally(release),
    );
  }

  /** Waits for every piece's check; throws the first failure. */
  async settle(): Promise<void> {
    await Promise.all(this.checks);
    this.throwIfFailed();
  }

  /**
   * Puts the staged pieces, PUTS at a time (on a folder store a put is a flush and a rename), and
   * returns their sha256. Puts that succeeded are listed in `written` as they land, so a caller that
   * fails can remove them.
   */
  async putStaged(written: string[], signal?: AbortSignal): Promise<void> {
    await this.settle();
    await putAll(this.staged, PUTS, async (s) => {
      signal?.throwIfAborted();
      written.push(s.sha256);
      await this.objects.putFile(this.keyOf(s.sha256), s.path, signal);
    });
  }

  /** After a failure: waits for the checks, closes a piece left open. The staging folder is the caller's to remove. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.checks);
    const file = this.current?.file;
    if (file) {
      await Promise.allSettled(file.writes);
      await file.handle.close();
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
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

/** Cuts a file's bytes, arriving in order, at `ranges` (layout.ts) into the stager's pieces. */
export class RangeCutter {
  private at = 0;
  private next = 0;
  private open = false;

  constructor(
    private readonly stager: PieceStager,
    private readonly ranges: Pieces,
  ) {}

  /** The file's next bytes; resolves with the writes still in flight (`chunk` may be reused once they settle). */
  async push(chunk: Uint8Array): Promise<Array<Promise<unknown> | undefined>> {
    const writes: Array<Promise<unknown> | undefined> = [];
    let used = 0;
    while (used < chunk.length) {
      const range = this.ranges[this.next];
      if (!range) throw new Error('more bytes than the pieces cover');
      if (!this.open) {
        await this.stager.begin(range.end - range.begin);
        this.open = true;
      }
      const take = Math.min(chunk.length - used, range.end - (this.at + used));
      writes.push(this.stager.add(chunk.subarray(used, used + take)));
      used += take;
      if (this.at + used === range.end) {
        this.stager.end();
        this.open = false;
        this.next++;
      }
    }
    this.at += chunk.length;
    return writes;
  }
}
