// The non-zero count of each tensor a prune rewrote (sparsity: Wanda, SparseGPT and magnitude
// leave the tensors dense, so only a count says how sparse each one is), kept on the lineage edge
// beside the sha256 of the stored piece it was counted on. The catalog's Tensors tab shows a
// tensor's non-zero share from this record, never by reading the tensor; a later revision that
// changes the tensor has another piece hash, and the old count no longer applies to it.
import type { ArtifactStore } from '../storage/store.js';
import { storedTensors } from '../storage/tensorPieces.js';

/** `LineageEdge.result.tensors`: by tensor name, what the prune counted and the piece it counted. */
export type NonZeroRecord = Record<string, { nonZero: number; sha256: string; dtype: string }>;

/**
 * The record of a prune's counts (`counts`, by tensor name, from the engine) for the files it
 * stored: each counted tensor with its piece's sha256, read from the stored headers. Files stored
 * whole have no pieces, so their tensors are left out (nothing to tie a count to).
 */
export async function nonZeroRecord(
  store: ArtifactStore,
  files: ReadonlyArray<{ path: string; sha256: string; size: number }>,
  counts: Record<string, number>,
): Promise<NonZeroRecord> {
  const out: NonZeroRecord = {};
  for (const f of files.filter((x) => x.path.endsWith('.safetensors'))) {
    for (const t of await storedTensors(store, { sha256: f.sha256, size: f.size, name: f.path })) {
      const nonZero = counts[t.name];
      if (nonZero !== undefined && t.pieceSha256) out[t.name] = { nonZero, sha256: t.pieceSha256, dtype: t.dtype };
    }
  }
  return out;
}

/**
 * The count recorded for tensor `name` whose stored piece is `piece` read as `dtype`, from an
 * edge's `result`; null when none was recorded or it was counted on other bytes, or on the same
 * bytes read as another dtype (F16 and BF16 zeros are the same bits, their NaNs and subnormals
 * are not). A record from before dtypes were kept names none and is taken on its bytes.
 */
export function recordedNonZero(result: unknown, name: string, piece: string | null, dtype: string): number | null {
  if (piece === null || typeof result !== 'object' || result === null) return null;
  const tensors = (result as { tensors?: unknown }).tensors;
  if (typeof tensors !== 'object' || tensors === null || !Object.hasOwn(tensors, name)) return null;
  const entry = (tensors as Record<string, unknown>)[name] as { nonZero?: unknown; sha256?: unknown; dtype?: unknown } | null;
  if (!entry || entry.sha256 !== piece || !Number.isSafeInteger(entry.nonZero)) return null;
  if (entry.dtype !== undefined && entry.dtype !== dtype) return null;
  return entry.nonZero as number;
}
