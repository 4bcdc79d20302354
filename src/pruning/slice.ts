// Row and column selection on raw tensor bytes: exact for every dtype, no conversion.

/** Rows `keep` of a [rows, cols] matrix (or entries of a vector when cols = 1). */
export function takeRows(bytes: Uint8Array, cols: number, elementSize: number, keep: readonly number[]): Uint8Array {
  const rowBytes = cols * elementSize;
  const out = new Uint8Array(keep.length * rowBytes);
  keep.forEach((r, i) => {
    out.set(bytes.subarray(r * rowBytes, (r + 1) * rowBytes), i * rowBytes);
  });
  return out;
}

/** Columns `keep` of a [rows, cols] matrix. */
export function takeColumns(bytes: Uint8Array, rows: number, cols: number, elementSize: number, keep: readonly number[]): Uint8Array {
  const out = new Uint8Array(rows * keep.length * elementSize);
  // Pruned columns are scattered, so runs are short: gather element by element through a typed
  // view of the element width instead of copying millions of tiny runs.
  const View = elementSize === 2 ? Uint16Array : elementSize === 4 ? Uint32Array : elementSize === 1 ? Uint8Array : undefined;
  if (View && bytes.byteOffset % elementSize === 0) {
    const src = new View(bytes.buffer as ArrayBuffer, bytes.byteOffset, rows * cols);
    const dst = new View(out.buffer, 0, rows * keep.length);
    const k = keep.length;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      const o = r * k;
      for (let j = 0; j < k; j++) dst[o + j] = src[base + keep[j]!]!;
    }
    return out;
  }
  // Contiguous runs of kept columns are copied at once.
  const runs: Array<[number, number]> = [];
  for (const c of keep) {
    const last = runs.at(-1);
    if (last && last[0] + last[1] === c) last[1]++;
    else runs.push([c, 1]);
  }
  let o = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols * elementSize;
    for (const [start, len] of runs) {
      out.set(bytes.subarray(base + start * elementSize, base + (start + len) * elementSize), o);
      o += len * elementSize;
    }
  }
  return out;
}
