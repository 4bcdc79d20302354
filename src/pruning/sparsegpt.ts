// SparseGPT (Frantar & Alistarh, "SparseGPT: Massive Language Models Can Be Accurately Pruned in
// One-Shot", ICML 2023), after the reference IST-DASLab/sparsegpt sparsegpt.py `fasterprune`, the
// default pruning modifier of vllm-project/llm-compressor. For one linear layer W [rows, cols] and
// the Gram matrix H = Σ x·xᵀ of its inputs over the calibration tokens:
//  - columns whose input is always 0 are zeroed and given H_ii = 1;
//  - H += λ·mean(diag H)·I (dampening), U = upper Cholesky factor of H⁻¹;
//  - columns are processed left to right in blocks of 128: the mask is chosen by w² / U_jj²
//    (per block for unstructured sparsity, per group of M inputs for N:M), each pruned weight's
//    error is spread over the later columns through U (the optimal-brain-surgeon update), and the
//    block's accumulated error is applied to the columns right of it at once.
// Deviations from the reference, each for exactness: a block keeps exactly its share of the
// matrix's floor(s·rows·cols) zeros (the reference's `<=` threshold keeps ties too), ties go to the
// lower index, and at sparsity 0 the weights are returned unchanged.
import { addScaledRows, dampDiagonal, inverseUpperFactor } from './linalg.js';
import { orderGroup, smallestK } from './sparsity.js';

export interface SparseGptOptions {
  /** Unstructured: fraction of the weights to zero. */
  sparsity?: number;
  /** N:M: in every group of M consecutive inputs, N are zeroed. */
  nm?: { n: number; m: number };
  /** λ: dampening as a fraction of the mean diagonal of H (the reference's percdamp, 0.01). */
  dampening: number;
  /** Columns per lazy-update block (the reference's 128; a multiple of M for N:M). */
  blockSize?: number;
}

const EPS = 1e-9;

/** H's inputs that are always 0, and the upper Cholesky factor of the dampened H⁻¹. */
export interface PreparedHessian {
  cols: number;
  dead: Uint8Array;
  U: Float64Array;
}

/** Depends on H and λ only: the projections that share an input (q/k/v, gate/up) share it. */
export function prepareHessian(gram: Float64Array, cols: number, dampening: number): PreparedHessian {
  const H = Float64Array.from(gram);
  const dead = new Uint8Array(cols);
  for (let i = 0; i < cols; i++) {
    if (H[i * cols + i] === 0) {
      H[i * cols + i] = 1;
      dead[i] = 1;
    }
  }
  dampDiagonal(H, cols, dampening);
  return { cols, dead, U: inverseUpperFactor(H, cols) };
}

/** The pruned weights (row-major Float64 [rows, cols]); `w` and `gram` are not modified. */
export function sparseGpt(w: ArrayLike<number>, rows: number, cols: number, gram: Float64Array, o: SparseGptOptions): Float64Array {
  if (!o.nm && !o.sparsity) return Float64Array.from(w as ArrayLike<number>);
  return sparseGptWith(w, rows, prepareHessian(gram, cols, o.dampening), o);
}

export function sparseGptWith(
  w: ArrayLike<number>,
  rows: number,
  prepared: PreparedHessian,
  o: Omit<SparseGptOptions, 'dampening'>,
): Float64Array {
  const W = Float64Array.from(w as ArrayLike<number>);
  if (!o.nm && !o.sparsity) return W;
  const { cols, dead, U } = prepared;
  for (let i = 0; i < cols; i++) if (dead[i]) for (let r = 0; r < rows; r++) W[r * cols + i] = 0;

  const m = o.nm?.m ?? 1;
  const blockSize = Math.max(m, Math.floor((o.blockSize ?? 128) / m) * m);
  const target = o.sparsity ? Math.floor(o.sparsity * rows * cols + EPS) : 0;
  /** A row's columns of the block with a non-zero error (as offsets of their rows of U), and −error. */
  const used = new Int32Array(blockSize);
  const negErr = new Float64Array(blockSize);
  for (let i1 = 0; i1 < cols; i1 += blockSize) {
    const i2 = Math.min(i1 + blockSize, cols);
    const count = i2 - i1;
    const W1 = new Float64Array(rows * count);
    for (let r = 0; r < rows; r++) for (let j = 0; j < count; j++) W1[r * count + j] = W[r * cols + i1 + j]!;
    const mask = new Uint8Array(rows * count);
    const err = new Float64Array(rows * count);
    if (!o.nm) {
      // This block's share of the zeros: the cumulative floor, so the blocks add up to `target`.
      const k = Math.floor((target * i2) / cols + EPS) - Math.floor((target * i1) / cols + EPS);
      const score = new Float64Array(rows * count);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < count; j++) {
          const u = U[(i1 + j) * cols + i1 + j]!;
          score[r * count + j] = W1[r * count + j]! ** 2 / (u * u);
        }
      }
      smallestK(score, k, (i) => {
        mask[i] = 1;
      });
    }
    for (let i = 0; i < count; i++) {
      const col = i1 + i;
      const d = U[col * cols + col]!;
      if (o.nm && i % m === 0) {
        const idx = new Int32Array(m);
        const s = new Float64Array(m);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < m; j++) {
            const u = U[(col + j) * cols + col + j]!;
            s[j] = W1[r * count + i + j]! ** 2 / (u * u);
          }
          orderGroup(s, 0, m, idx);
          for (let j = 0; j < o.nm.n; j++) mask[r * count + i + idx[j]!] = 1;
        }
      }
      for (let r = 0; r < rows; r++) {
        const at = r * count + i;
        const value = W1[at]!;
        const q = mask[at] ? 0 : value;
        const e = (value - q) / d;
        err[at] = e;
        W1[at] = q;
        if (e === 0) continue;
        for (let j = i + 1; j < count; j++) W1[r * count + j]! -= e * U[col * cols + i1 + j]!;
      }
    }
    // The block's result, and its error spread over every column to the right at once: each
    // W[r, c] has the row's non-zero errors' terms subtracted one after another in order of j
    // (addScaledRows, with −e: the same bits as subtracting e·u, one j at a time).
    for (let r = 0; r < rows; r++) {
      const wr = r * cols;
      const er = r * count;
      for (let j = 0; j < count; j++) W[wr + i1 + j] = W1[er + j]!;
      let m = 0;
      for (let j = 0; j < count; j++) {
        const e = err[er + j]!;
        if (e === 0) continue;
        negErr[m] = -e;
        used[m++] = (i1 + j) * cols;
      }
      addScaledRows(W, wr, negErr, used, m, U, i2, cols);
    }
  }
  return W;
}
