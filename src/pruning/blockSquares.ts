// Σ w² over the rows or columns a structure owns in a raw [rows, cols] matrix: the magnitude
// criteria of attention pruning (a head's block of q/k/v rows and o_proj columns) and of
// hidden-channel pruning (a channel's one row or column, size 1), LLM-Pruner's coupled L2 norm.
import { type Dtype, toFloat32 } from '../formats/safetensors/dtypes.js';

/** Σ of squares of each block of `size` consecutive rows, added into `into` (a new array by default). */
export function rowBlockSq(bytes: Uint8Array, dtype: Dtype, cols: number, size: number, into?: Float64Array): Float64Array {
  const w = toFloat32(bytes, dtype);
  const out = into ?? new Float64Array(w.length / cols / size);
  for (let i = 0; i < w.length; i++) out[Math.floor(i / cols / size)]! += w[i]! * w[i]!;
  return out;
}

/** Σ of squares of each block of `size` consecutive columns, added into `into` (a new array by default). */
export function columnBlockSq(bytes: Uint8Array, dtype: Dtype, cols: number, size: number, into?: Float64Array): Float64Array {
  const w = toFloat32(bytes, dtype);
  const out = into ?? new Float64Array(cols / size);
  for (let i = 0; i < w.length; i++) out[Math.floor((i % cols) / size)]! += w[i]! * w[i]!;
  return out;
}
