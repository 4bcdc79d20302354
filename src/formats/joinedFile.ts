// One file that is several local files one after another, read by position as if it were one:
// a safetensors file the artifact store keeps in pieces (src/storage/layout.ts), read in place
// by a job (no copy of the whole file is written) or sent to a client. Each part is opened when
// first read and checked against the size its manifest gives; at most MAX_OPEN stay open.
import { type FileHandle, open } from 'node:fs/promises';
import type { PositionalFile } from './positionalRead.js';

export interface JoinedPart {
  path: string;
  size: number;
}

/**
 * Parts kept open once no read is using them: a reader going back and forth between a few
 * tensors. Readers mostly go forward (a download, a tensor streamed), so a part is also closed as
 * soon as a read reaches its end; a stalled download holds the parts of its reads in flight and
 * the next one, not dozens (a server with many of them would run out of descriptors).
 */
const MAX_OPEN = 4;

export class PartSizeError extends Error {
  constructor(part: JoinedPart, actual: number) {
    super(`${part.path} is ${actual} bytes, not the ${part.size} its file's manifest gives`);
    this.name = 'PartSizeError';
  }
}

export class JoinedFile implements PositionalFile {
  readonly size: number;
  /** Where each part begins in the joined file. */
  private readonly starts: number[] = [];
  /** Open parts, least recently used first; `users` counts reads in flight on each. */
  private readonly opened = new Map<number, { handle: Promise<FileHandle>; users: number }>();
  private closed = false;
  /** Closes under way (a part finished, or trimmed): `close` waits for them too. */
  private readonly closing = new Set<Promise<void>>();

  constructor(readonly parts: readonly JoinedPart[]) {
    let at = 0;
    for (const p of parts) {
      this.starts.push(at);
      at += p.size;
    }
    this.size = at;
  }

  /** FileHandle's positional read; a read ends at the end of its part (callers loop: readFully). */
  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (this.closed) throw new Error('read of a closed joined file');
    if (length <= 0 || position >= this.size) return { bytesRead: 0 };
    const i = this.partAt(position);
    const within = position - this.starts[i]!;
    const n = Math.min(length, this.parts[i]!.size - within);
    const entry = this.use(i);
    // The next part is opened while this one is read: a reader going through the file never
    // waits on an open (and its size check) at a part's boundary. Its failure (a piece removed,
    // no descriptors left) is the error of the read that needs that part, not an unhandled
    // rejection, which would end the process (the API server, during a download).
    if (i + 1 < this.parts.length && !this.opened.has(i + 1)) {
      const handle = openPart(this.parts[i + 1]!);
      handle.catch(() => {});
      this.opened.set(i + 1, { handle, users: 0 });
    }
    let reachedEnd = false;
    try {
      const { bytesRead } = await (await entry.handle).read(buffer, offset, n, within);
      reachedEnd = bytesRead > 0 && within + bytesRead === this.parts[i]!.size;
      return { bytesRead };
    } finally {
      entry.users--;
      if (reachedEnd && entry.users === 0 && this.opened.get(i) === entry) {
        this.opened.delete(i);
        this.closeQuietly(entry.handle);
      }
      this.trim();
    }
  }

  stretchEnd(position: number): number {
    if (position >= this.size) return this.size;
    const i = this.partAt(position);
    return this.starts[i]! + this.parts[i]!.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.opened.values()) this.closeQuietly(e.handle);
    this.opened.clear();
    await Promise.all(this.closing);
  }

  /** The last part that begins at or before `position`: empty parts begin where the next does, so it is never one of them. */
  private partAt(position: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private use(i: number): { handle: Promise<FileHandle>; users: number } {
    let entry = this.opened.get(i);
    if (entry) this.opened.delete(i);
    else entry = { handle: openPart(this.parts[i]!), users: 0 };
    // Re-inserted: the map's order is the order of last use.
    this.opened.set(i, entry);
    entry.users++;
    return entry;
  }

  private trim(): void {
    for (const [i, entry] of this.opened) {
      if (this.opened.size <= MAX_OPEN) return;
      if (entry.users > 0) continue;
      this.opened.delete(i);
      this.closeQuietly(entry.handle);
    }
  }

  /** Closes a part no read uses any more; `close` waits for it, so nothing is open once it returns. */
  private closeQuietly(handle: Promise<FileHandle>): void {
    const closing = handle.then((f) => f.close()).catch(() => {});
    this.closing.add(closing);
    void closing.then(() => this.closing.delete(closing));
  }
}

async function openPart(part: JoinedPart): Promise<FileHandle> {
  const handle = await open(part.path, 'r');
  const { size } = await handle.stat();
  if (size !== part.size) {
    await handle.close();
    throw new PartSizeError(part, size);
  }
  return handle;
}
