// Neuron importance for GLU MLP width pruning, weights only [OptiPFair, peremartra/optipfair].
// Neuron i is row i of gate_proj (G) and up_proj (U), column i of down_proj.
import { type Dtype, toFloat32 } from '../formats/safetensors/dtypes.js';
import type { WidthCriterion } from './recipe.js';

/**
 * Rows of a raw [rows, cols] matrix as Float32, one at a time through one reused buffer: scoring a
 * large layer must not allocate a Float32 copy of the whole matrix (bench/prune-width.ts).
 */
function* rowsOf(bytes: Uint8Array, dtype: Dtype, rows: number, cols: number): Generator<Float32Array> {
  const size = bytes.byteLength / (rows * cols);
  for (let r = 0; r < rows; r++) yield toFloat32(bytes.subarray(r * cols * size, (r + 1) * cols * size), dtype);
}

function rowStats(w: Float32Array, row: number, cols: number) {
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  let sum = 0;
  let sumSq = 0;
  let l1 = 0;
  for (let j = row * cols, end = j + cols; j < end; j++) {
    const v = w[j]!;
    if (v > max) max = v;
    if (v < min) min = v;
    sum += v;
    sumSq += v * v;
    l1 += Math.abs(v);
  }
  const mean = sum / cols;
  return { max, min, variance: sumSq / cols - mean * mean, l1, l2: Math.sqrt(sumSq) };
}

export function neuronScores(
  gate: Uint8Array,
  up: Uint8Array,
  dtype: Dtype,
  neurons: number,
  hidden: number,
  criterion: WidthCriterion,
): Float64Array {
  const scores = new Float64Array(neurons);
  const gates = rowsOf(gate, dtype, neurons, hidden);
  const ups = rowsOf(up, dtype, neurons, hidden);
  for (let i = 0; i < neurons; i++) {
    const g = rowStats(gates.next().value as Float32Array, 0, hidden);
    const u = rowStats(ups.next().value as Float32Array, 0, hidden);
    switch (criterion) {
      case 'maw':
        scores[i] = g.max + Math.abs(g.min) + (u.max + Math.abs(u.min));
        break;
      case 'vow':
        scores[i] = g.variance + u.variance;
        break;
      case 'pon':
        scores[i] = g.l1 * u.l1;
        break;
      case 'l2':
        scores[i] = g.l2 + u.l2;
        break;
    }
  }
  return scores;
}

/** The k highest-scoring indices, ties to the lower index, returned in their original order. */
export function topK(scores: Float64Array, k: number): number[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, k).sort((a, b) => a - b);
}
