// Dense symmetric positive-definite algebra in Float64 for the calibrated methods (SparseGPT's
// inverse Hessian, the least-squares refit of down_proj): Cholesky factorisation, inverse through
// it, and the Gram matrix of activation rows. Row-major n × n arrays; n is a layer's input width
// (at most a few thousand), so O(n³) loops in JavaScript take seconds, not minutes.

/** Lower-triangular L with A = L·Lᵀ, in place of a copy; throws when A is not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) d -= l[rj + k]! * l[rj + k]!;
    if (!(d > 0)) throw new Error(`matrix not positive definite at column ${j}`);
    const ljj = Math.sqrt(d);
    l[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      l[ri + j] = s / ljj;
    }
  }
  return l;
}

/** A⁻¹ for symmetric positive-definite A, from its Cholesky factor: (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹. */
export function inverseSpd(a: Float64Array, n: number): Float64Array {
  const l = cholesky(a, n);
  // L⁻¹ by forward substitution, column by column (lower triangular).
  const li = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = s / l[i * n + i]!;
    }
  }
  // (L⁻¹)ᵀ·L⁻¹: entry (i, j) sums over k ≥ max(i, j).
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = j; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/** Upper-triangular U with A = Uᵀ·U (torch.linalg.cholesky(A, upper=True)). */
export function upperCholesky(a: Float64Array, n: number): Float64Array {
  const l = cholesky(a, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l[i * n + j]!;
  return u;
}

/** G += Xᵀ·X for `rows` activation rows of width n (X row-major [rows, n]), upper triangle then mirrored by `symmetrize`. */
export function addGram(g: Float64Array, x: Float32Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let i = 0; i < n; i++) {
      const xi = x[base + i]!;
      if (xi === 0) continue;
      const gi = i * n;
      for (let j = i; j < n; j++) g[gi + j]! += xi * x[base + j]!;
    }
  }
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
