// An uploaded object (a Git LFS upload through the Hub routes) received straight into the store's
// pieces: a safetensors file says where its pieces end in its first bytes (the 8-byte length and
// the header), so once those have arrived the rest goes to the pieces as it comes (pieceStager.ts)
// instead of into one staged file that was then read again and cut (the second read of every
// upload). Anything else, or a header the strict reader refuses, is staged whole as before. The
// bytes are counted and hashed as they arrive, whatever the layout; the caller checks the result
// against what the sender announced before anything becomes an object.
import { type FileHandle, open } from 'node:fs/promises';
import type { Hasher } from './hashThread.js';
import { piecesFromPrefix } from './layout.js';
import type { ObjectStore } from './objects.js';
import { PieceStager, RangeCutter } from './pieceStager.js';
import { CHUNK, copyingWholeHasher } from './writePieces.js';

export interface Received {
  sha256: string;
  size: number;
  /** The pieces, staged (a safetensors file), or null: the object is the file `whole`. */
  stager: PieceStager | null;
}

/**
 * Receives `body` into `whole` (a file) or into pieces staged under `staging`; `tooLarge` is thrown
 * as soon as more than `maxSize` bytes arrive. `pieces: false` stages everything whole.
 */
export async function receivePieces(
  body: AsyncIterable<unknown>,
  options: {
    objects: ObjectStore;
    keyOf: (sha256: string) => string;
    staging: string;
    whole: string;
    maxSize: number;
    pieces: boolean;
    tooLarge: () => Error;
  },
): Promise<Received> {
  const { maxSize } = options;
  /**
   * Made once the layout is decided (on a second thread above 32 MiB: the pieces' hashes take
   * this one), so an upload stalled in its header holds no thread, only the bytes held so far.
   */
  let hash: Hasher | null = null;
  let size = 0;
  /** The first bytes, held until they say whether this is a safetensors file (at most PIECES_HEADER_LIMIT + 8 and a chunk). */
  let head: Buffer[] | null = options.pieces ? [] : null;
  let headBytes = 0;
  let need = 8;
  let file: FileHandle | null = null;
  let at = 0;
  let stager: PieceStager | null = null;
  let cutter: RangeCutter | null = null;

  const toWhole = async (chunk: Buffer) => {
    file ??= await open(options.whole, 'w');
    for (let done = 0; done < chunk.length; ) done += (await file.write(chunk, done, chunk.length - done, at + done)).bytesWritten;
    at += chunk.length;
  };
  const consume = async (chunk: Buffer) => {
    hash ??= copyingWholeHasher(maxSize);
    await hash.update(chunk);
    if (cutter) await Promise.all(await cutter.push(chunk));
    else await toWhole(chunk);
  };
  // An HTTP body arrives in 16–64 KiB chunks; hashing on the thread and staging them one by one
  // cost a message and a write each (18,000 for a 1.2 GB upload: 1.19× the time of storing it
  // whole). They are gathered into CHUNK-sized batches first (one reused buffer: each batch is done
  // with before the next is gathered).
  const batch = Buffer.allocUnsafeSlow(Math.max(1, Math.min(CHUNK, maxSize)));
  let batched = 0;
  const flush = async () => {
    if (batched === 0) return;
    const n = batched;
    batched = 0;
    await consume(batch.subarray(0, n));
  };
  const pass = async (chunk: Buffer) => {
    for (let used = 0; used < chunk.length; ) {
      const take = Math.min(chunk.length - used, batch.length - batched);
      chunk.copy(batch, batched, used, used + take);
      batched += take;
      used += take;
      if (batched === batch.length) await flush();
    }
  };
  /** Decides the layout from the bytes held (all there are once `final`; layout.ts), then passes them on. */
  const decide = async (final: boolean) => {
    const bytes = Buffer.concat(head!);
    head = [bytes];
    const r = piecesFromPrefix(bytes, maxSize, final);
    if ('need' in r) {
      need = r.need;
      return;
    }
    head = null;
    if (r.pieces) {
      stager = new PieceStager(options.objects, options.keyOf, options.staging, maxSize);
      cutter = new RangeCutter(stager, r.pieces);
    }
    await pass(bytes);
  };

  try {
    for await (const c of body) {
      const chunk = c as Buffer;
      size += chunk.length;
      if (size > maxSize) throw options.tooLarge();
      if (head) {
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes >= need) await decide(false);
      } else await pass(chunk);
    }
    if (head) await decide(true);
    await flush();
    hash ??= copyingWholeHasher(0);
    const s = stager as PieceStager | null;
    if (s && size === maxSize) await s.settle();
    else if (s) {
      // A short upload: the caller reports it (it knows what was announced); the last piece is unfinished.
      await s.abandon();
      return { sha256: await hash.digest(), size, stager: null };
    } else file ??= await open(options.whole, 'w'); // even an empty object is a file to put
    return { sha256: await hash.digest(), size, stager: s };
  } catch (err) {
    await (stager as PieceStager | null)?.abandon();
    throw err;
  } finally {
    (hash as Hasher | null)?.close();
    await (file as FileHandle | null)?.close();
  }
}
