// Width pruning with reconstruction: after the kept neurons are chosen, down_proj is refit on them
// by ridge-regularised least squares over the calibration activations X (its inputs),
//   W′ = argmin ‖W·X − W′·X_K‖² + λ‖W′‖² = W·G[:, K]·(G[K, K] + λI)⁻¹,   G = X·Xᵀ,
// so the layer's output is kept as well as the kept neurons allow (the closed-form recovery of
// e.g. "Fluctuation-based Adaptive Structured Pruning" (An et al. 2024) and SliceGPT-style refits;
// λ as a fraction of the mean diagonal, as SparseGPT dampens its Hessian).
// The refit is fitted on the first calibration tokens and kept for a layer only where it lowers
// the error on the held-out ones (src/pruning/heldOut.ts): `heldOutErrors` measures both.
import { addScaledRows, dampDiagonal, inverseSpd } from './linalg.js';

/**
 * y[at..at+k) += Σᵢ a[from + i]·B[i, :] over the rows i of B ([n, k]) whose coefficient is not 0,
 * added one row after another (addScaledRows). `coef` and `rows`: scratch of length n.
 */
function addCombination(
  y: Float64Array,
  at: number,
  a: ArrayLike<number>,
  from: number,
  n: number,
  b: Float64Array,
  k: number,
  scratch: { coef: Float64Array; rows: Int32Array },
): void {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const ai = a[from + i]!;
    if (ai === 0) continue;
    scratch.coef[m] = ai;
    scratch.rows[m++] = i * k;
  }
  addScaledRows(y, at, scratch.coef, scratch.rows, m, b, 0, k);
}

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
  // C = W·G[:, K]  ([rows, k]), then W′ = C·A⁻¹. G[:, K] is gathered once into contiguous rows.
  const gk = new Float64Array(cols * k);
  for (let i = 0; i < cols; i++) for (let j = 0; j < k; j++) gk[i * k + j] = gram[i * cols + kept[j]!]!;
  const scratch = { coef: new Float64Array(Math.max(cols, k)), rows: new Int32Array(Math.max(cols, k)) };
  const c = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) addCombination(c, r * k, w, r * cols, cols, gk, k, scratch);
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) addCombination(out, r * k, c, r * k, k, ainv, k, scratch);
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
  const dn = new Float64Array(cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) d[i] = w[r * cols + i]!;
    // Plain slicing keeps W's own kept columns: D is W outside K.
    for (let j = 0; j < k; j++) d[kept[j]!] = hat ? d[kept[j]!]! - hat[r * k + j]! : 0;
    // Only D's non-zero entries: for plain slicing (I − k)² products per row instead of I².
    let n = 0;
    for (let i = 0; i < cols; i++) {
      if (d[i] === 0) continue;
      nz[n] = i;
      dn[n++] = d[i]!;
    }
    // Two rows of G at a time share the loads of D; each row's sum keeps its order, and both are
    // added to the total in the order one row at a time added them, so the result is the same.
    let a = 0;
    for (; a + 1 < n; a += 2) {
      const g0 = nz[a]! * cols;
      const g1 = nz[a + 1]! * cols;
      let s0 = 0;
      let s1 = 0;
      for (let b = 0; b < n; b++) {
        const j = nz[b]!;
        const v = dn[b]!;
        s0 += gram[g0 + j]! * v;
        s1 += gram[g1 + j]! * v;
      }
      total += dn[a]! * s0;
      total += dn[a + 1]! * s1;
    }
    if (a < n) {
      const g0 = nz[a]! * cols;
      let s0 = 0;
      for (let b = 0; b < n; b++) s0 += gram[g0 + nz[b]!]! * dn[b]!;
      total += dn[a]! * s0;
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
