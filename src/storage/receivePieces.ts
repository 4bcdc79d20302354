// An uploaded object (a Git LFS upload through the Hub routes) received straight into the store's
// pieces: a safetensors file says where its pieces end in its first bytes (the 8-byte length and
// the header), so once those have arrived the rest goes to the pieces as it comes (pieceStager.ts)
// instead of into one staged file that was then read again and cut (the second read of every
// upload). Anything else, or a header the strict reader refuses, is staged whole as before. The
// bytes are counted and hashed as they arrive, whatever the layout; the caller checks the result
// against what the sender announced before anything becomes an object.
import { type FileHandle, open } from 'node:fs/promises';
import { checkHeaderLength, parseHeader } from '../formats/safetensors/header.js';
import { type Pieces, piecesOfHeader } from './layout.js';
import type { ObjectStore } from './objects.js';
import { PieceStager, RangeCutter } from './pieceStager.js';
import { copyingWholeHasher } from './writePieces.js';

/**
 * A header longer than this is not held in memory to learn the layout: the object is staged
 * whole. Real headers are kilobytes (a 70B model's is ~100 KB); a client must not make the server
 * hold the format's 100 MB limit per upload.
 */
const HEADER_IN_MEMORY = 16 << 20;

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
  // On a second thread above 32 MiB: the pieces' hashes take this one.
  const hash = copyingWholeHasher(maxSize);
  let size = 0;
  /** The first bytes, held until they say whether this is a safetensors file. */
  let head: Buffer[] | null = options.pieces ? [] : null;
  let headBytes = 0;
  let file: FileHandle | null = null;
  let at = 0;
  let stager: PieceStager | null = null;

  const toWhole = async (chunk: Buffer) => {
    file ??= await open(options.whole, 'w');
    for (let done = 0; done < chunk.length; ) done += (await file.write(chunk, done, chunk.length - done, at + done)).bytesWritten;
    at += chunk.length;
  };
  let cutter: RangeCutter | null = null;
  const toPieces = async (chunk: Buffer) => {
    await Promise.all(await cutter!.push(chunk));
  };
  /** Bytes to hold before the layout can be decided: the length first, then the header. */
  let need = 8;
  /** Decides the layout from the bytes held (all of them once `final`), then passes them on. */
  const decide = async (final: boolean) => {
    const bytes = Buffer.concat(head!);
    head = [bytes];
    let layout: Pieces | null = null;
    if (bytes.length >= 8) {
      try {
        const length = checkHeaderLength('upload', bytes.readBigUInt64LE(0), maxSize);
        if (length <= HEADER_IN_MEMORY) {
          need = 8 + length;
          if (bytes.length < need && !final) return; // the rest of the header is still to come
          // The announced size is the file's: the reader checks that the tensors cover it exactly.
          layout = piecesOfHeader(parseHeader('upload', bytes.subarray(8, need), maxSize));
        }
      } catch {
        layout = null;
      }
    }
    head = null;
    if (layout) {
      stager = new PieceStager(options.objects, options.keyOf, options.staging, maxSize);
      cutter = new RangeCutter(stager, layout);
      await toPieces(bytes);
    } else await toWhole(bytes);
  };

  try {
    for await (const c of body) {
      const chunk = c as Buffer;
      size += chunk.length;
      if (size > maxSize) throw options.tooLarge();
      await hash.update(chunk);
      if (head) {
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes >= need) await decide(false);
      } else if (stager) await toPieces(chunk);
      else await toWhole(chunk);
    }
    if (head) await decide(true);
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
    hash.close();
    await (file as FileHandle | null)?.close();
  }
}
