// The tests' own Gram matrix Σ_t x_t·x_tᵀ of calibration activations X [rows, width] (row-major),
// in float64, written apart from src/pruning/linalg.ts and refit.ts so that it can catch their
// bugs. Each entry is summed over the rows in order from 0, as a token-by-token accumulation would
// (the same bits): X is transposed first so that each entry is one contiguous dot product, four
// entries share each load, and the upper triangle is computed and mirrored (x_i·x_j = x_j·x_i
// exactly).
export function gramOf(x: ArrayLike<number>, rows: number, width: number): Float64Array {
  const xt = new Float64Array(width * rows);
  for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) xt[i * rows + r] = x[r * width + i]!;
  const g = new Float64Array(width * width);
  const put = (i: number, j: number, v: number) => {
    g[i * width + j] = v;
    g[j * width + i] = v;
  };
  for (let i = 0; i < width; i++) {
    const a = i * rows;
    let j = i;
    for (; j + 3 < width; j += 4) {
      const [b0, b1, b2, b3] = [j * rows, (j + 1) * rows, (j + 2) * rows, (j + 3) * rows];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0; r < rows; r++) {
        const xi = xt[a + r]!;
        s0 += xi * xt[b0 + r]!;
        s1 += xi * xt[b1 + r]!;
        s2 += xi * xt[b2 + r]!;
        s3 += xi * xt[b3 + r]!;
      }
      put(i, j, s0);
      put(i, j + 1, s1);
      put(i, j + 2, s2);
      put(i, j + 3, s3);
    }
    for (; j < width; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += xt[a + r]! * xt[j * rows + r]!;
      put(i, j, s);
    }
  }
  return g;
}
