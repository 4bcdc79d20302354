// A file stored in pieces (layout.ts): its manifest lists the pieces' sha256 and sizes in file
// order, so the file is their concatenation. The manifest is keyed by the whole file's sha256, the
// hash the registry's rows keep, and written only after every piece it names (crash safety: a
// manifest never points at a missing piece); a removal deletes the manifest before any piece.
export interface Manifest {
  /** The whole file's size. */
  size: number;
  pieces: Array<{ sha256: string; size: number }>;
}

const FORMAT = 'bonsai-pieces-1';
const SHA256 = /^[0-9a-f]{64}$/;

export function encodeManifest(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify({ format: FORMAT, size: m.size, pieces: m.pieces.map((p) => [p.sha256, p.size]) }));
}

export function decodeManifest(bytes: Buffer, key: string): Manifest {
  const v = JSON.parse(bytes.toString('utf8')) as { format?: unknown; size?: unknown; pieces?: unknown };
  const pieces = Array.isArray(v.pieces) ? v.pieces : null;
  if (v.format !== FORMAT || typeof v.size !== 'number' || !pieces) throw new Error(`${key}: not a ${FORMAT} manifest`);
  const out: Manifest = { size: v.size, pieces: [] };
  let total = 0;
  for (const p of pieces) {
    if (!Array.isArray(p) || typeof p[0] !== 'string' || !SHA256.test(p[0]) || !Number.isSafeInteger(p[1]) || p[1] < 0)
      throw new Error(`${key}: a piece is not [sha256, size]`);
    out.pieces.push({ sha256: p[0], size: p[1] });
    total += p[1];
  }
  if (total !== out.size) throw new Error(`${key}: pieces add up to ${total} bytes, not ${out.size}`);
  return out;
}
