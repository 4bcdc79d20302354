// Depth pruning with a linear stand-in (ReplaceMe, Shopkhoev et al. 2025, arXiv:2505.02819; the
// least-squares variant of mts-ai/ReplaceMe): blocks s..e−1 are removed and what they did is
// approximated by a linear map T applied to the MLP output M of block s−1. With x the residual
// stream before that MLP (h_{s−1} = x + M) and h_{e−1} the span's output,
//   T = argmin ‖x + M·T − h_{e−1}‖² + λ‖T − I‖² = (MᵀM + λI)⁻¹·(MᵀR + λI),   R = h_{e−1} − x,
// summed over the calibration tokens. T is folded into that block's down_proj (M = Z·Wᵀ, so
// M·T = Z·(Tᵀ·W)ᵀ): W′ = Tᵀ·W, and the child is a standard checkpoint with fewer blocks.
// ReplaceMe's ridge pulls T toward 0 (its alpha, default 0); this one pulls it toward I, which is
// plain removal, so on the calibration tokens the stand-in can only do better than removal.
import { addGram, dampDiagonal, inverseSpd, symmetrize } from './linalg.js';

export class StandInAccumulator {
  /** Σ mᵀm and Σ mᵀr over the tokens seen ([width, width], row-major). */
  readonly mtm: Float64Array;
  readonly mtr: Float64Array;
  tokens = 0;

  constructor(readonly width: number) {
    this.mtm = new Float64Array(width * width);
    this.mtr = new Float64Array(width * width);
  }

  /** `m`: MLP outputs of block s−1, `r`: h_{e−1} − x, both [rows, width] row-major. */
  add(m: Float32Array, r: Float32Array, rows: number): void {
    const d = this.width;
    addGram(this.mtm, m, rows, d);
    // mᵀr, one row of the product per column of m: every entry a sum over the tokens.
    for (let t = 0; t < rows; t++) {
      const mt = t * d;
      for (let i = 0; i < d; i++) {
        const mi = m[mt + i]!;
        if (mi === 0) continue;
        const row = i * d;
        for (let j = 0; j < d; j++) this.mtr[row + j]! += mi * r[mt + j]!;
      }
    }
    this.tokens += rows;
  }

  /** T, with λ = `dampening` × the mean diagonal of MᵀM (as SparseGPT dampens its Hessian). */
  solve(dampening: number): Float64Array {
    const d = this.width;
    const a = symmetrize(Float64Array.from(this.mtm), d);
    const lambda = dampDiagonal(a, d, dampening);
    const b = Float64Array.from(this.mtr);
    for (let i = 0; i < d; i++) b[i * d + i]! += lambda;
    const ainv = inverseSpd(a, d);
    const t = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let k = 0; k < d; k++) {
        const v = ainv[i * d + k]!;
        if (v === 0) continue;
        const bk = k * d;
        const ti = i * d;
        for (let j = 0; j < d; j++) t[ti + j]! += v * b[bk + j]!;
      }
    }
    return t;
  }
}

/** W′ = Tᵀ·W for down_proj W [width, inner] (row-major) and T [width, width]. */
export function foldIntoDownProj(t: Float64Array, w: Float32Array, width: number, inner: number): Float64Array {
  const out = new Float64Array(width * inner);
  for (let k = 0; k < width; k++) {
    const wk = k * inner;
    for (let i = 0; i < width; i++) {
      // (Tᵀ·W)[i, :] = Σ_k T[k, i]·W[k, :]
      const c = t[k * width + i]!;
      if (c === 0) continue;
      const oi = i * inner;
      for (let j = 0; j < inner; j++) out[oi + j]! += c * w[wk + j]!;
    }
  }
  return out;
}

/** The contiguous runs of removed blocks, as [first, end) pairs in ascending order. */
export function removedSpans(removed: readonly number[]): Array<[number, number]> {
  const sorted = [...removed].sort((a, b) => a - b);
  const spans: Array<[number, number]> = [];
  for (const l of sorted) {
    const last = spans.at(-1);
    if (last && last[1] === l) last[1] = l + 1;
    else spans.push([l, l + 1]);
  }
  return spans;
}
