// Magnitude sparsity. Magnitudes are compared through the bits of |w| as a Float32, which order
// like the values; an exact threshold is found with two 65,536-bin histograms, so even the global
// scope streams (three passes) instead of holding every weight [Wanda paper, magnitude baseline].

import type { Dtype } from '../formats/safetensors/dtypes.js';
import { DTYPE_BYTES, toFloat32 } from '../formats/safetensors/dtypes.js';

export function magnitudeKeys(bytes: Uint8Array, dtype: Dtype): Uint32Array {
  const f = toFloat32(bytes, dtype);
  const keys = new Uint32Array(f.buffer, f.byteOffset, f.length);
  for (let i = 0; i < keys.length; i++) keys[i] = keys[i]! & 0x7fffffff;
  return keys;
}

/** Running histograms that find the k-th smallest key exactly. */
export class ThresholdFinder {
  private readonly high = new Float64Array(65536);
  private low: Float64Array | undefined;
  private bin = -1;
  private belowBin = 0;

  /** Pass 1: every key. */
  addHigh(keys: Uint32Array): void {
    for (let i = 0; i < keys.length; i++) this.high[keys[i]! >>> 16]!++;
  }

  /** After pass 1: the bin holding the k-th smallest key (k ≥ 1). */
  locateBin(k: number): void {
    let cum = 0;
    for (let b = 0; b < 65536; b++) {
      if (cum + this.high[b]! >= k) {
        this.bin = b;
        this.belowBin = cum;
        this.low = new Float64Array(65536);
        return;
      }
      cum += this.high[b]!;
    }
    this.bin = 65536; // k covers everything
    this.belowBin = cum;
  }

  /** Pass 2: every key again (only those in the boundary bin are counted). */
  addLow(keys: Uint32Array): void {
    if (!this.low) return;
    for (let i = 0; i < keys.length; i++) if (keys[i]! >>> 16 === this.bin) this.low[keys[i]! & 0xffff]!++;
  }

  /** The threshold key T and how many keys equal to T must also be zeroed so that exactly k are. */
  threshold(k: number): { key: number; ties: number } {
    if (this.bin === 65536 || !this.low) return { key: 0xffffffff, ties: 0 };
    let cum = this.belowBin;
    for (let l = 0; l < 65536; l++) {
      const c = this.low[l]!;
      if (cum + c >= k) return { key: ((this.bin << 16) | l) >>> 0, ties: k - cum };
      cum += c;
    }
    return { key: 0xffffffff, ties: 0 };
  }
}

/**
 * Element i's bytes set to 0, one store each: `fill` on the Buffers tensors are read into validates
 * its arguments on every call, which cost more than the rest of a magnitude prune (1.4 of 7 s).
 */
function zeroElement(bytes: Uint8Array, i: number, elementSize: number): void {
  for (let b = i * elementSize, end = b + elementSize; b < end; b++) bytes[b] = 0;
}

/** Zeroes (in place) the elements whose key is below T, and the first `ties` equal to T. Returns ties left. */
export function zeroBelow(bytes: Uint8Array, keys: Uint32Array, elementSize: number, key: number, ties: number): number {
  let left = ties;
  for (let i = 0; i < keys.length; i++) {
    const kk = keys[i]!;
    if (kk < key || (kk === key && left > 0)) {
      if (kk === key) left--;
      zeroElement(bytes, i, elementSize);
    }
  }
  return left;
}

/** Exactly k smallest magnitudes of one matrix zeroed in place (ties to the lower index); returns it. */
export function sparsifyMatrix(bytes: Uint8Array, dtype: Dtype, elementSize: number, k: number): Uint8Array {
  if (k <= 0) return bytes;
  const keys = magnitudeKeys(bytes, dtype);
  const finder = new ThresholdFinder();
  finder.addHigh(keys);
  finder.locateBin(k);
  finder.addLow(keys);
  const { key, ties } = finder.threshold(k);
  zeroBelow(bytes, keys, elementSize, key, ties);
  return bytes;
}

/** N:M: in every group of M consecutive inputs of each row, the N smallest magnitudes zeroed in place. */
export function sparsifyNM(bytes: Uint8Array, dtype: Dtype, elementSize: number, n: number, m: number): Uint8Array {
  const keys = magnitudeKeys(bytes, dtype);
  const idx = new Array<number>(m);
  for (let g = 0; g < keys.length; g += m) {
    for (let j = 0; j < m; j++) idx[j] = g + j;
    idx.sort((a, b) => keys[a]! - keys[b]! || a - b);
    for (let j = 0; j < n; j++) zeroElement(bytes, idx[j]!, elementSize);
  }
  return bytes;
}

/** Floating-point dtypes: the top bit of each element is its sign, so −0 (sign bit alone) is zero (IEEE 754; bfloat16 and FP8 alike). */
const SIGNED_FLOAT = new Set<Dtype>(['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2']);

/** `bytes` as elements of `size` bytes; a view when aligned, else a copy (tensors may sit at any offset of a file). */
function words<T>(bytes: Uint8Array, size: 2 | 4, make: (b: ArrayBuffer, offset: number, length: number) => T): T {
  if (bytes.byteOffset % size === 0) return make(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
  const copy = new Uint8Array(bytes);
  return make(copy.buffer, 0, bytes.byteLength / size);
}

/**
 * Elements that are not zero, read from their bits: an element is zero when every bit but a
 * float's sign is clear, so −0 counts as zero, a subnormal and a NaN as non-zero. No conversion to
 * Float32, which would flush F64 values below its range to zero.
 */
export function countNonZero(bytes: Uint8Array, dtype: Dtype): number {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) throw new RangeError(`${bytes.byteLength} bytes are not whole ${dtype} elements`);
  const float = SIGNED_FLOAT.has(dtype);
  let nz = 0;
  if (size === 2) {
    const w = words(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
    const mask = float ? 0x7fff : 0xffff;
    for (let i = 0; i < w.length; i++) if ((w[i]! & mask) !== 0) nz++;
  } else if (size === 4 || size === 8) {
    // Little-endian: an 8-byte element is two words, its sign in the high (second) one.
    const w = words(bytes, 4, (b, o, n) => new Uint32Array(b, o, n));
    const mask = float ? 0x7fffffff : 0xffffffff;
    if (size === 4) for (let i = 0; i < w.length; i++) nz += (w[i]! & mask) !== 0 ? 1 : 0;
    else for (let i = 0; i < w.length; i += 2) nz += w[i] !== 0 || (w[i + 1]! & mask) !== 0 ? 1 : 0;
  } else {
    const mask = float ? 0x7f : 0xff;
    for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & mask) !== 0) nz++;
  }
  return nz;
}

/**
 * Wanda's comparison group for a matrix of `cols` inputs: per output row, floor(s·cols) weights
 * (unstructured; the reference's `int(W_metric.shape[1]*args.sparsity_ratio)`), or N of every M.
 * The one rule for the engine and the sequential calibration pass (src/pruning/wandaNorms.ts).
 */
export function wandaPattern(sparsity: number | undefined, nm: { n: number; m: number } | null, cols: number) {
  return nm ?? { perRow: Math.floor((sparsity ?? 0) * cols + 1e-9) };
}

/**
 * Calls `visit` with the indices of the k smallest scores, ties to the lower index (in index
 * order): what sorting the indices by (score, index) and taking the first k gives, from one
 * numeric sort of a copy (the k-th smallest score) instead of a comparator sort of every index.
 * Scores here are magnitudes or squares: never −0 or NaN, which a numeric sort orders apart.
 */
export function smallestK(score: Float64Array, k: number, visit: (i: number) => void, scratch = new Float64Array(score.length)): void {
  if (k <= 0) return;
  scratch.set(score);
  const kth = scratch.sort()[Math.min(k, score.length) - 1]!;
  let left = k;
  for (let i = 0; i < score.length; i++) if (score[i]! < kth) left--;
  for (let i = 0; i < score.length; i++) {
    const v = score[i]!;
    if (v < kth) visit(i);
    else if (v === kth && left > 0) {
      visit(i);
      left--;
    }
  }
}

/**
 * idx[0..m) = 0..m−1 ordered by (score[from + j], j): the order a comparator sort of a group of N:M
 * gives, by insertion (M is 4 or 8), without a closure and a sort call per group.
 */
export function orderGroup(score: ArrayLike<number>, from: number, m: number, idx: Int32Array): Int32Array {
  for (let j = 0; j < m; j++) {
    let p = j;
    while (p > 0 && (score[from + idx[p - 1]!]! - score[from + j]! || idx[p - 1]! - j) > 0) {
      idx[p] = idx[p - 1]!;
      p--;
    }
    idx[p] = j;
  }
  return idx;
}

/**
 * Wanda (Sun et al. 2023): score |W_ij| · ‖X_j‖₂, compared within each output row; per row the
 * `k` lowest are zeroed (unstructured), or in every group of M consecutive inputs the N lowest.
 * Ties go to the lower index, so the result is deterministic.
 */
export function sparsifyWanda(
  bytes: Uint8Array,
  dtype: Dtype,
  elementSize: number,
  rows: number,
  cols: number,
  inputNorms: Float64Array,
  pattern: { perRow: number } | { n: number; m: number },
): Uint8Array {
  if (inputNorms.length !== cols) throw new Error(`Wanda: ${inputNorms.length} input norms for ${cols} columns`);
  const w = toFloat32(bytes, dtype);
  const score = new Float64Array(cols);
  const scratch = new Float64Array(cols);
  const idx = new Int32Array('perRow' in pattern ? 0 : pattern.m);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) score[j] = Math.abs(w[base + j]!) * inputNorms[j]!;
    const zero = (j: number) => zeroElement(bytes, base + j, elementSize);
    if ('perRow' in pattern) smallestK(score, pattern.perRow, zero, scratch);
    else
      for (let g = 0; g < cols; g += pattern.m) {
        orderGroup(score, g, pattern.m, idx);
        for (let j = 0; j < pattern.n; j++) zero(g + idx[j]!);
      }
  }
  return bytes;
}
