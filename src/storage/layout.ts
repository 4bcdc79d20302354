// How a file is cut into content-addressed pieces (issue 31): a safetensors file as its header
// (the 8-byte length and the JSON) and one piece per tensor, so a derivative that keeps a tensor
// byte for byte (a vocabulary trim keeps every block, a width prune keeps attention and norms, a
// depth prune keeps its remaining blocks under new names) shares that piece with its parent;
// anything else, or a file the strict header reader refuses, is one piece, the whole file.
import { type FileHandle, open } from 'node:fs/promises';
import { checkHeaderLength, type Header, parseHeader } from '../formats/safetensors/header.js';

/** Byte ranges [begin, end) that cover the file in order, without gaps; empty ones left out. */
export type Pieces = Array<{ begin: number; end: number }>;

/** The pieces of a safetensors file, or null for any other file (stored whole). */
export async function safetensorsPieces(path: string): Promise<Pieces | null> {
  const handle = await open(path, 'r');
  try {
    return await safetensorsPiecesOf(handle, path);
  } finally {
    await handle.close();
  }
}

/** The same, of a file already open (an import reads only through its confined descriptor). */
export async function safetensorsPiecesOf(handle: FileHandle, path: string): Promise<Pieces | null> {
  {
    const { size } = await handle.stat();
    if (size < 8) return null;
    const prefix = Buffer.alloc(8);
    await handle.read(prefix, 0, 8, 0);
    let header: ReturnType<typeof parseHeader>;
    try {
      const length = checkHeaderLength(path, prefix.readBigUInt64LE(0), size);
      const json = Buffer.alloc(length);
      await handle.read(json, 0, length, 8);
      // The reader also refuses holes and trailing bytes, so the tensors cover the rest exactly.
      header = parseHeader(path, json, size);
    } catch {
      return null;
    }
    return piecesOfHeader(header);
  }
}

/** The pieces of a safetensors file whose header the strict reader accepted: the header, then each non-empty tensor. */
export function piecesOfHeader(header: Pick<Header, 'dataStart' | 'tensors'>): Pieces {
  const pieces: Pieces = [{ begin: 0, end: header.dataStart }];
  for (const t of header.tensors) if (t.end > t.begin) pieces.push({ begin: t.begin, end: t.end });
  return pieces;
}
