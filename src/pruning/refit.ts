// Width pruning with reconstruction: after the kept neurons are chosen, down_proj is refit on them
// by ridge-regularised least squares over the calibration activations X (its inputs),
//   W′ = argmin ‖W·X − W′·X_K‖² + λ‖W′‖² = W·G[:, K]·(G[K, K] + λI)⁻¹,   G = X·Xᵀ,
// so the layer's output is kept as well as the kept neurons allow (the closed-form recovery of
// e.g. "Fluctuation-based Adaptive Structured Pruning" (An et al. 2024) and SliceGPT-style refits;
// λ as a fraction of the mean diagonal, as SparseGPT dampens its Hessian).
// The refit is fitted on the first calibration tokens and kept for a layer only where it lowers
// the error on the held-out ones (src/pruning/heldOut.ts): `heldOutErrors` measures both.
import { dampDiagonal, inverseSpd } from './linalg.js';

/** The refit down_proj [rows, kept.length] from W [rows, cols] and the Gram matrix [cols, cols]. */
export function refitDownProj(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  kept: readonly number[],
  gram: Float64Array,
  dampening: number,
): Float64Array {
  const k = kept.length;
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) a[i * k + j] = gram[kept[i]! * cols + kept[j]!]!;
  dampDiagonal(a, k, dampening);
  const ainv = inverseSpd(a, k);
  // C = W·G[:, K]  ([rows, k]), then W′ = C·A⁻¹.
  const c = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const wi = w[r * cols + i]!;
      if (wi === 0) continue;
      const gi = i * cols;
      for (let j = 0; j < k; j++) c[r * k + j]! += wi * gram[gi + kept[j]!]!;
    }
  }
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      const ci = c[r * k + i]!;
      if (ci === 0) continue;
      for (let j = 0; j < k; j++) out[r * k + j]! += ci * ainv[i * k + j]!;
    }
  }
  return out;
}

/**
 * Σ over the tokens of ‖W·x − Ŵ·x_K‖² from the Gram matrix G = Σ x·xᵀ of those tokens: with
 * D = W − Ŵ (Ŵ widened to all columns, zero outside K; `hat` null: Ŵ = W[:, K], plain slicing), the sum is Σ_r D_r·G·D_rᵀ. Computed on D,
 * not as a difference of large traces, so nothing cancels.
 */
export function gramError(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  kept: readonly number[],
  hat: ArrayLike<number> | null,
  gram: Float64Array,
): number {
  const k = kept.length;
  const d = new Float64Array(cols);
  const nz = new Int32Array(cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) d[i] = w[r * cols + i]!;
    // Plain slicing keeps W's own kept columns: D is W outside K.
    for (let j = 0; j < k; j++) d[kept[j]!] = hat ? d[kept[j]!]! - hat[r * k + j]! : 0;
    // Only D's non-zero entries: for plain slicing (I − k)² products per row instead of I².
    let n = 0;
    for (let i = 0; i < cols; i++) if (d[i] !== 0) nz[n++] = i;
    for (let a = 0; a < n; a++) {
      const i = nz[a]!;
      const gi = i * cols;
      let s = 0;
      for (let b = 0; b < n; b++) s += gram[gi + nz[b]!]! * d[nz[b]!]!;
      total += d[i]! * s;
    }
  }
  return total;
}

/** Mean held-out error per token of plain slicing (before) and of the refit as written (after). */
export function heldOutErrors(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  kept: readonly number[],
  refit: ArrayLike<number>,
  heldOutGram: Float64Array,
  heldOutTokens: number,
): { before: number; after: number } {
  return {
    before: gramError(w, rows, cols, kept, null, heldOutGram) / heldOutTokens,
    after: gramError(w, rows, cols, kept, refit, heldOutGram) / heldOutTokens,
  };
}
