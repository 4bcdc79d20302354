// An independent plain TypeScript SparseGPT, written from the paper's optimal-brain-surgeon
// formulation rather than the reference's Cholesky form: the inverse Hessian by Gauss–Jordan
// elimination, every pruned weight's error applied at once to all later columns
// (δw = −(w_i − q_i)·[H⁻¹]_{i,:} / [H⁻¹]_{ii}), and H⁻¹ downdated after each column
// (H⁻¹ ← H⁻¹ − H⁻¹_{:,i}·H⁻¹_{i,:} / H⁻¹_{ii}). The mask rules (w² / [H⁻¹]_{jj} with H⁻¹ taken
// after eliminating the columns before j; blocks for unstructured, groups of M for N:M) are the
// reference's. For checking src/pruning/sparsegpt.ts on small layers.

/**
 * A⁻¹ by Gauss–Jordan elimination with partial pivoting on [A | I]. Step c updates only columns
 * after c: the columns before it are already eliminated and nothing reads them again (only the
 * right half is returned, and each step reads column c alone of the left half), so leaving them
 * out changes no returned bit and saves a quarter of the work.
 */
function gaussJordanInverse(a: Float64Array, n: number): Float64Array {
  const w = 2 * n;
  const m = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * w + j] = a[i * n + j]!;
    m[i * w + n + i] = 1;
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * w + c]!) > Math.abs(m[p * w + c]!)) p = r;
    const rc = c * w;
    if (p !== c) {
      const rp = p * w;
      for (let j = c; j < w; j++) {
        const t = m[rc + j]!;
        m[rc + j] = m[rp + j]!;
        m[rp + j] = t;
      }
    }
    const piv = m[rc + c]!;
    for (let j = c + 1; j < w; j++) m[rc + j]! /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const rr = r * w;
      const f = m[rr + c]!;
      for (let j = c + 1; j < w; j++) m[rr + j]! -= f * m[rc + j]!;
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = m[i * w + n + j]!;
  return out;
}

/**
 * Eliminates column i of H⁻¹ from the rows and columns after i, the only ones read afterwards:
 * what the next columns' steps and the weight updates read (H⁻¹ from row and column i + 1 on)
 * changes, in each elimination, by entries of that trailing square alone, so the rows and
 * columns up to i are left as they are (a third of the work of updating all of H⁻¹).
 */
function eliminate(hinv: Float64Array, n: number, i: number): void {
  const d = hinv[i * n + i]!;
  const row = hinv.slice(i * n, (i + 1) * n);
  for (let r = i + 1; r < n; r++) {
    const base = r * n;
    const f = hinv[base + i]!;
    if (f === 0) continue;
    for (let c = i + 1; c < n; c++) hinv[base + c]! -= (f * row[c]!) / d;
  }
}

export function obsPrune(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  gram: Float64Array,
  o: { sparsity?: number; nm?: { n: number; m: number }; dampening: number; blockSize: number },
): Float64Array {
  const W = Float64Array.from(w as ArrayLike<number>);
  const H = Float64Array.from(gram);
  for (let i = 0; i < cols; i++) {
    if (H[i * cols + i] === 0) {
      H[i * cols + i] = 1;
      for (let r = 0; r < rows; r++) W[r * cols + i] = 0;
    }
  }
  let mean = 0;
  for (let i = 0; i < cols; i++) mean += H[i * cols + i]!;
  for (let i = 0; i < cols; i++) H[i * cols + i]! += (o.dampening * mean) / cols;
  const hinv = gaussJordanInverse(H, cols);
  // [H⁻¹]_{jj} after eliminating the columns before j: weight-independent. Each selection needs
  // those of its block (or group of M) ahead of the elimination below, which reach them one
  // column at a time; an entry of the block's diagonal square changes, in each elimination, by
  // entries of that square alone, so eliminating a copy of the square gives the same values as
  // the whole matrix would (a second n³ pass over all of H⁻¹ before: half of this function's time).
  const d = new Float64Array(cols);
  const ahead = (from: number, to: number) => {
    const k = to - from;
    const square = new Float64Array(k * k);
    for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) square[r * k + c] = hinv[(from + r) * cols + from + c]!;
    for (let j = 0; j < k; j++) {
      d[from + j] = square[j * k + j]!;
      eliminate(square, k, j);
    }
  };
  const mask = new Uint8Array(rows * cols);
  const target = o.sparsity ? Math.floor(o.sparsity * rows * cols + 1e-9) : 0;
  const m = o.nm?.m ?? 1;
  for (let i = 0; i < cols; i++) {
    if (!o.nm && i % o.blockSize === 0) {
      const end = Math.min(i + o.blockSize, cols);
      ahead(i, end);
      const k = Math.floor((target * end) / cols + 1e-9) - Math.floor((target * i) / cols + 1e-9);
      const cand: Array<[number, number]> = [];
      for (let r = 0; r < rows; r++) for (let j = i; j < end; j++) cand.push([W[r * cols + j]! ** 2 / d[j]!, r * (end - i) + (j - i)]);
      cand.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (const [, at] of cand.slice(0, k)) mask[Math.floor(at / (end - i)) * cols + i + (at % (end - i))] = 1;
    }
    if (o.nm && i % m === 0) {
      ahead(i, Math.min(i + m, cols));
      for (let r = 0; r < rows; r++) {
        const group = Array.from({ length: m }, (_, j) => j).sort(
          (a, b) => W[r * cols + i + a]! ** 2 / d[i + a]! - W[r * cols + i + b]! ** 2 / d[i + b]! || a - b,
        );
        for (const j of group.slice(0, o.nm.n)) mask[r * cols + i + j] = 1;
      }
    }
    const h = hinv[i * cols + i]!;
    for (let r = 0; r < rows; r++) {
      const value = W[r * cols + i]!;
      const q = mask[r * cols + i] ? 0 : value;
      for (let c = i + 1; c < cols; c++) W[r * cols + c]! -= ((value - q) * hinv[i * cols + c]!) / h;
      W[r * cols + i] = q;
    }
    eliminate(hinv, cols, i);
  }
  return W;
}
