// How a file is cut into content-addressed pieces (issue 31): a safetensors file as its header
// (the 8-byte length and the JSON) and one piece per tensor, so a derivative that keeps a tensor
// byte for byte (a vocabulary trim keeps every block, a width prune keeps attention and norms, a
// depth prune keeps its remaining blocks under new names) shares that piece with its parent;
// anything else, or a file the strict header reader refuses, is one piece, the whole file.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { checkHeaderLength, type Header, parseHeader } from '../formats/safetensors/header.js';

/** Byte ranges [begin, end) that cover the file in order, without gaps; empty ones left out. */
export type Pieces = Array<{ begin: number; end: number }>;

/**
 * A header longer than this is not cut into pieces: the file is stored whole. Real headers are
 * kilobytes (a 70B model's shard: ~50 KB; 1 MiB holds ~7,000 tensors); a longer one is a file of
 * many tiny tensors, whose pieces would cost more than they share (one object, one flush and one
 * manifest entry each: 240,000 two-byte tensors took 69 s to store and 40 s to read back), and
 * whose parse, on the event loop, would block it for seconds.
 */
export const PIECES_HEADER_LIMIT = 1 << 20;

/**
 * What the first `bytes` of a file of `fileSize` bytes say about its pieces: `need` more bytes
 * before it can tell (unless `final`: they are all there is), or its pieces, or null (stored whole).
 */
export function piecesFromPrefix(bytes: Uint8Array, fileSize: number, final = false): { need: number } | { pieces: Pieces | null } {
  if (bytes.length < 8) return final || fileSize < 8 ? { pieces: null } : { need: 8 };
  let length: number;
  try {
    length = checkHeaderLength('file', Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0), fileSize);
  } catch {
    return { pieces: null };
  }
  if (length > PIECES_HEADER_LIMIT) return { pieces: null };
  if (bytes.length < 8 + length) return final ? { pieces: null } : { need: 8 + length };
  try {
    // The reader also refuses holes and trailing bytes, so the tensors cover the rest exactly.
    return { pieces: piecesOfHeader(parseHeader('file', bytes.subarray(8, 8 + length), fileSize)) };
  } catch {
    return { pieces: null };
  }
}

/** The pieces of a safetensors file, or null for any other file (stored whole). */
export async function safetensorsPieces(path: string): Promise<Pieces | null> {
  const handle = await open(path, 'r');
  try {
    return await safetensorsPiecesOf(handle);
  } finally {
    await handle.close();
  }
}

/** The same, of a file already open (an import reads only through its confined descriptor). */
export async function safetensorsPiecesOf(handle: FileHandle): Promise<Pieces | null> {
  const { size } = await handle.stat();
  let bytes = Buffer.alloc(0);
  for (;;) {
    const r = piecesFromPrefix(bytes, size);
    if ('pieces' in r) return r.pieces;
    bytes = Buffer.alloc(r.need);
    await handle.read(bytes, 0, r.need, 0);
  }
}

/** The pieces of a safetensors file whose header the strict reader accepted: the header, then each non-empty tensor. */
export function piecesOfHeader(header: Pick<Header, 'dataStart' | 'tensors'>): Pieces {
  const pieces: Pieces = [{ begin: 0, end: header.dataStart }];
  for (const t of header.tensors) if (t.end > t.begin) pieces.push({ begin: t.begin, end: t.end });
  return pieces;
}
