// Dense symmetric positive-definite algebra in Float64 for the calibrated methods (SparseGPT's
// inverse Hessian, the least-squares refit of down_proj): Cholesky factorisation, inverse through
// it, and the Gram matrix of activation rows. Row-major n × n arrays; n is a layer's input width
// (at most a few thousand), so O(n³) loops in JavaScript take seconds, not minutes.

import { BonsaiError } from '../errors.js';

/**
 * XᵀX (dampened) that is not positive definite: the calibration activations do not span the
 * layer's inputs. The same data fails the same way every time, so it is the recipe's to change
 * (a permanent failure, never retried), not the machine's.
 */
export class NotPositiveDefiniteError extends BonsaiError {
  constructor(column: number) {
    super(
      'BAD_USER_INPUT',
      `recipe.dampening: XᵀX is not positive definite at column ${column} even with the dampening added: the calibration text does not span this layer's inputs; raise dampening or give more calibration samples`,
      { field: 'recipe.dampening' },
    );
  }
}

/**
 * Lower-triangular L with A = L·Lᵀ, in place of a copy; throws when A is not positive definite.
 * Two rows i of a column j at a time share the loads of row j; each keeps its own two partial
 * sums, so its value is the same as computed alone.
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) d -= l[rj + k]! * l[rj + k]!;
    if (!(d > 0)) throw new NotPositiveDefiniteError(j);
    const ljj = Math.sqrt(d);
    l[rj + j] = ljj;
    let i = j + 1;
    for (; i + 1 < n; i += 2) {
      const ri = i * n;
      const rh = ri + n;
      let s0 = 0;
      let s1 = 0;
      let t0 = 0;
      let t1 = 0;
      let k = 0;
      for (; k + 1 < j; k += 2) {
        const x0 = l[rj + k]!;
        const x1 = l[rj + k + 1]!;
        s0 += l[ri + k]! * x0;
        s1 += l[ri + k + 1]! * x1;
        t0 += l[rh + k]! * x0;
        t1 += l[rh + k + 1]! * x1;
      }
      if (k < j) {
        s0 += l[ri + k]! * l[rj + k]!;
        t0 += l[rh + k]! * l[rj + k]!;
      }
      l[ri + j] = (a[ri + j]! - s0 - s1) / ljj;
      l[rh + j] = (a[rh + j]! - t0 - t1) / ljj;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let s0 = 0;
      let s1 = 0;
      let k = 0;
      for (; k + 1 < j; k += 2) {
        s0 += l[ri + k]! * l[rj + k]!;
        s1 += l[ri + k + 1]! * l[rj + k + 1]!;
      }
      if (k < j) s0 += l[ri + k]! * l[rj + k]!;
      l[ri + j] = (a[ri + j]! - s0 - s1) / ljj;
    }
  }
  return l;
}

/**
 * M⁻¹ of an upper-triangular M, row by row (each row of M⁻¹ a combination of the rows below it).
 * The rows k with M_ik ≠ 0 are taken four at a time: each acc[j] is read and written once per
 * four rows, and still has their terms subtracted one after another in order of k, from the
 * first column each row reaches (row k of M⁻¹ starts at column k), so the same bits as one row
 * at a time. Not addScaledRows: that would run every row from the first one's column and add
 * M_ik·0 terms (a −0 there can turn an exact +0 into another sign).
 */
export function upperTriangularInverse(m: Float64Array, n: number): Float64Array {
  const u = new Float64Array(n * n);
  const acc = new Float64Array(n);
  const rows = new Int32Array(n);
  for (let i = n - 1; i >= 0; i--) {
    acc.fill(0, i);
    acc[i] = 1;
    // Row i of M·U = e_i:  M_ii·U_i = e_i − Σ_{k>i} M_ik·U_k.
    const ri = i * n;
    let count = 0;
    for (let k = i + 1; k < n; k++) if (m[ri + k] !== 0) rows[count++] = k;
    let q = 0;
    for (; q + 3 < count; q += 4) {
      const [k0, k1, k2, k3] = [rows[q]!, rows[q + 1]!, rows[q + 2]!, rows[q + 3]!];
      const [a0, a1, a2, a3] = [m[ri + k0]!, m[ri + k1]!, m[ri + k2]!, m[ri + k3]!];
      const [r0, r1, r2, r3] = [k0 * n, k1 * n, k2 * n, k3 * n];
      for (let j = k0; j < k1; j++) acc[j]! -= a0 * u[r0 + j]!;
      for (let j = k1; j < k2; j++) {
        let v = acc[j]!;
        v -= a0 * u[r0 + j]!;
        v -= a1 * u[r1 + j]!;
        acc[j] = v;
      }
      for (let j = k2; j < k3; j++) {
        let v = acc[j]!;
        v -= a0 * u[r0 + j]!;
        v -= a1 * u[r1 + j]!;
        v -= a2 * u[r2 + j]!;
        acc[j] = v;
      }
      for (let j = k3; j < n; j++) {
        let v = acc[j]!;
        v -= a0 * u[r0 + j]!;
        v -= a1 * u[r1 + j]!;
        v -= a2 * u[r2 + j]!;
        v -= a3 * u[r3 + j]!;
        acc[j] = v;
      }
    }
    for (; q < count; q++) {
      const k = rows[q]!;
      const mik = m[ri + k]!;
      const rk = k * n;
      for (let j = k; j < n; j++) acc[j]! -= mik * u[rk + j]!;
    }
    const d = m[ri + i]!;
    for (let j = i; j < n; j++) u[ri + j] = acc[j]! / d;
  }
  return u;
}

/**
 * Upper-triangular U with A⁻¹ = Uᵀ·U (what SparseGPT takes as torch.linalg.cholesky(
 * cholesky_inverse(cholesky(A)), upper=True)), from one factorisation: with J the reversal,
 * J·A·J = L·Lᵀ gives A = M·Mᵀ with M = J·L·J upper triangular, so A⁻¹ = (M⁻¹)ᵀ·M⁻¹ and U = M⁻¹.
 */
export function inverseUpperFactor(a: Float64Array, n: number): Float64Array {
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)]!;
  const l = cholesky(r, n);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) m[i * n + j] = l[(n - 1 - i) * n + (n - 1 - j)]!;
  return upperTriangularInverse(m, n);
}

/**
 * y[at + c] += Σ_q coef[q]·b[rows[q] + c] for every c in [from, to) and q < m, the terms added in
 * order of q as one row after another would add them. Four rows per pass over y: each y[at + c]
 * is read and written once per four rows instead of once per row, and its sum keeps the same
 * order, so the same bits. Subtracting e·u is adding (−e)·u (negation is exact): the same bits too.
 */
export function addScaledRows(
  y: Float64Array,
  at: number,
  coef: ArrayLike<number>,
  rows: ArrayLike<number>,
  m: number,
  b: Float64Array,
  from: number,
  to: number,
): void {
  let q = 0;
  for (; q + 3 < m; q += 4) {
    const [r0, r1, r2, r3] = [rows[q]!, rows[q + 1]!, rows[q + 2]!, rows[q + 3]!];
    const [a0, a1, a2, a3] = [coef[q]!, coef[q + 1]!, coef[q + 2]!, coef[q + 3]!];
    for (let c = from; c < to; c++) {
      let v = y[at + c]!;
      v += a0 * b[r0 + c]!;
      v += a1 * b[r1 + c]!;
      v += a2 * b[r2 + c]!;
      v += a3 * b[r3 + c]!;
      y[at + c] = v;
    }
  }
  for (; q < m; q++) {
    const r = rows[q]!;
    const a = coef[q]!;
    for (let c = from; c < to; c++) y[at + c]! += a * b[r + c]!;
  }
}

/**
 * A⁻¹ for symmetric positive-definite A: Uᵀ·U from inverseUpperFactor, each entry (i, j ≥ i)
 * Σ_{k ≤ i} U_ki·U_kj added in order of k, skipping U_ki = 0, as row by row of U (addScaledRows).
 */
export function inverseSpd(a: Float64Array, n: number): Float64Array {
  const u = inverseUpperFactor(a, n);
  const out = new Float64Array(n * n);
  const rows = new Int32Array(n);
  const coef = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let k = 0; k <= i; k++) {
      const uki = u[k * n + i]!;
      if (uki === 0) continue;
      coef[count] = uki;
      rows[count++] = k * n;
    }
    addScaledRows(out, i * n, coef, rows, count, u, i, n);
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j]!;
  return out;
}

/**
 * G += Xᵀ·X for `rows` activation rows of width n (X row-major [rows, n]), upper triangle only
 * (mirror it with `symmetrize`). X is transposed first so that every entry of G is one contiguous
 * dot product over the rows, written once: G (n² doubles) is swept once per call, not once per row.
 */
export function addGram(g: Float64Array, x: Float32Array, rows: number, n: number): void {
  const xt = new Float64Array(n * rows);
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) xt[i * rows + r] = x[r * n + i]!;
  for (let i = 0; i < n; i++) {
    const a = i * rows;
    const gi = i * n;
    let j = i;
    // Entries (i, j) and (i, j + 1) together, sharing the loads of row i; each keeps its own four
    // partial sums, so its value is the same as computed alone.
    for (; j + 1 < n; j += 2) {
      const b = j * rows;
      const c = b + rows;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      let r = 0;
      for (; r + 3 < rows; r += 4) {
        const x0 = xt[a + r]!;
        const x1 = xt[a + r + 1]!;
        const x2 = xt[a + r + 2]!;
        const x3 = xt[a + r + 3]!;
        s0 += x0 * xt[b + r]!;
        s1 += x1 * xt[b + r + 1]!;
        s2 += x2 * xt[b + r + 2]!;
        s3 += x3 * xt[b + r + 3]!;
        t0 += x0 * xt[c + r]!;
        t1 += x1 * xt[c + r + 1]!;
        t2 += x2 * xt[c + r + 2]!;
        t3 += x3 * xt[c + r + 3]!;
      }
      for (; r < rows; r++) {
        s0 += xt[a + r]! * xt[b + r]!;
        t0 += xt[a + r]! * xt[c + r]!;
      }
      g[gi + j]! += s0 + s1 + s2 + s3;
      g[gi + j + 1]! += t0 + t1 + t2 + t3;
    }
    for (; j < n; j++) g[gi + j]! += dotRows(xt, a, j * rows, rows);
  }
}

/** Σ_r xt[a + r]·xt[b + r] in four partial sums: independent chains the CPU can run side by side. */
function dotRows(xt: Float64Array, a: number, b: number, rows: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    s0 += xt[a + r]! * xt[b + r]!;
    s1 += xt[a + r + 1]! * xt[b + r + 1]!;
    s2 += xt[a + r + 2]! * xt[b + r + 2]!;
    s3 += xt[a + r + 3]! * xt[b + r + 3]!;
  }
  for (; r < rows; r++) s0 += xt[a + r]! * xt[b + r]!;
  return s0 + s1 + s2 + s3;
}

/**
 * Adds λ = `fraction` × the mean of A's diagonal to that diagonal, in place, and returns λ: the
 * dampening of the calibrated solvers (IST-DASLab/sparsegpt's percdamp; `fraction` itself when the
 * diagonal is all zero, so the matrix still inverts).
 */
export function dampDiagonal(a: Float64Array, n: number, fraction: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i * n + i]!;
  const lambda = (fraction * sum) / n || fraction;
  for (let i = 0; i < n; i++) a[i * n + i]! += lambda;
  return lambda;
}

/** Copies the upper triangle onto the lower one (after addGram). */
export function symmetrize(g: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) g[j * n + i] = g[i * n + j]!;
  return g;
}

/** ‖(A − B)·X‖² summed over calibration rows, as tr(D·G·Dᵀ) with D = A − B ([rows, n]) and G = Xᵀ·X. */
export function reconstructionError(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, n: number, g: Float64Array): number {
  let total = 0;
  const d = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) d[j] = a[r * n + j]! - b[r * n + j]!;
    for (let i = 0; i < n; i++) {
      if (d[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < n; j++) s += g[i * n + j]! * d[j]!;
      total += d[i]! * s;
    }
  }
  return total;
}
