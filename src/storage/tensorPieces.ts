// The tensors of a stored safetensors file, each with the sha256 of its piece (layout.ts cuts a
// safetensors file into its header and one piece per tensor, in file order): what tells a tensor
// kept byte for byte from one rewritten by comparing two hashes, without reading any tensor. Only
// the 8-byte length and the JSON header are read, through ranges of the stored file.
import { checkHeaderLength, parseHeader, type TensorInfo } from '../formats/safetensors/header.js';
import type { ArtifactStore } from './store.js';

export interface StoredTensor extends TensorInfo {
  /** The sha256 of the tensor's piece; null when the file is stored whole (bench:store's baseline). */
  pieceSha256: string | null;
}

async function readRange(store: ArtifactStore, sha256: string, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.readBlob(sha256, { start, end })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The tensors of the stored file `sha256` (`size` bytes, `name` for errors), in file order. */
export async function storedTensors(store: ArtifactStore, file: { sha256: string; size: number; name: string }): Promise<StoredTensor[]> {
  const prefix = await readRange(store, file.sha256, 0, 7);
  const length = checkHeaderLength(file.name, prefix.readBigUInt64LE(0), file.size);
  const header = parseHeader(file.name, await readRange(store, file.sha256, 8, 8 + length - 1), file.size);
  const pieces = await store.pieceHashes(file.sha256);
  // Piece 0 is the header; then one per non-empty tensor (layout.ts leaves empty ones out).
  const nonEmpty = header.tensors.filter((t) => t.end > t.begin).length;
  const usable = pieces !== null && pieces.length === nonEmpty + 1;
  let next = 1;
  return header.tensors.map((t) => ({
    ...t,
    pieceSha256: !usable ? null : t.end > t.begin ? pieces[next++]! : EMPTY_SHA256,
  }));
}

/** sha256 of no bytes: an empty tensor has no piece, and every empty tensor is the same bytes. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
