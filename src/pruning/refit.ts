// Width pruning with reconstruction: after the kept neurons are chosen, down_proj is refit on them
// by ridge-regularised least squares over the calibration activations X (its inputs),
//   W′ = argmin ‖W·X − W′·X_K‖² + λ‖W′‖² = W·G[:, K]·(G[K, K] + λI)⁻¹,   G = X·Xᵀ,
// so the layer's output is kept as well as the kept neurons allow (the closed-form recovery of
// e.g. "Fluctuation-based Adaptive Structured Pruning" (An et al. 2024) and SliceGPT-style refits;
// λ as a fraction of the mean diagonal, as SparseGPT dampens its Hessian).
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
