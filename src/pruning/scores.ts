// Neuron importance for GLU MLP width pruning, weights only [OptiPFair, peremartra/optipfair].
// Neuron i is row i of gate_proj (G) and up_proj (U), column i of down_proj.
import { type Dtype, toFloat32Into } from '../formats/safetensors/dtypes.js';
import type { WidthCriterion } from '../recipes/schema.js';

/**
 * Rows of a raw [rows, cols] matrix as Float32, one at a time through one reused buffer: scoring a
 * large layer must neither copy the whole matrix to Float32 nor allocate a row per neuron (the
 * garbage of 5,632 rows × 8 layers cost a quarter of bench/prune-width.ts). Each yielded row is
 * overwritten by the next one.
 */
function* rowsOf(bytes: Uint8Array, dtype: Dtype, rows: number, cols: number): Generator<Float32Array> {
  const rowBytes = bytes.byteLength / rows;
  const row = new Float32Array(cols);
  for (let r = 0; r < rows; r++) yield toFloat32Into(bytes.subarray(r * rowBytes, (r + 1) * rowBytes), dtype, row);
}

/** One row's score term for a criterion; each loop computes only what its criterion needs. */
function rowTerm(w: Float32Array, criterion: Exclude<WidthCriterion, 'activation'>): number {
  const n = w.length;
  switch (criterion) {
    case 'maw': {
      let max = Number.NEGATIVE_INFINITY;
      let min = Number.POSITIVE_INFINITY;
      for (let j = 0; j < n; j++) {
        const v = w[j]!;
        if (v > max) max = v;
        if (v < min) min = v;
      }
      return max + Math.abs(min);
    }
    case 'vow': {
      let sum = 0;
      let sumSq = 0;
      for (let j = 0; j < n; j++) {
        const v = w[j]!;
        sum += v;
        sumSq += v * v;
      }
      const mean = sum / n;
      return sumSq / n - mean * mean;
    }
    case 'pon': {
      let l1 = 0;
      for (let j = 0; j < n; j++) l1 += Math.abs(w[j]!);
      return l1;
    }
    case 'l2': {
      let sumSq = 0;
      for (let j = 0; j < n; j++) sumSq += w[j]! * w[j]!;
      return Math.sqrt(sumSq);
    }
  }
}

/**
 * Activation-aware: neuron j writes X_j · down_proj[:, j] into the residual stream, so its size
 * over the calibration tokens is bounded by ‖X_j‖₂ · ‖down_proj[:, j]‖₂ (Wanda's |W|·‖X‖ for a
 * whole column). A neuron that never fires, or whose column is zero, scores 0.
 */
export function activationScores(down: Uint8Array, dtype: Dtype, hidden: number, neurons: number, inputNorms: Float64Array): Float64Array {
  const colSq = new Float64Array(neurons);
  for (const row of rowsOf(down, dtype, hidden, neurons)) for (let j = 0; j < neurons; j++) colSq[j]! += row[j]! * row[j]!;
  return colSq.map((sq, j) => Math.sqrt(sq) * inputNorms[j]!);
}

export function neuronScores(
  gate: Uint8Array,
  up: Uint8Array,
  dtype: Dtype,
  neurons: number,
  hidden: number,
  criterion: Exclude<WidthCriterion, 'activation'>,
): Float64Array {
  const scores = new Float64Array(neurons);
  const gates = rowsOf(gate, dtype, neurons, hidden);
  const ups = rowsOf(up, dtype, neurons, hidden);
  for (let i = 0; i < neurons; i++) {
    const g = rowTerm(gates.next().value as Float32Array, criterion);
    const u = rowTerm(ups.next().value as Float32Array, criterion);
    // MAW, VOW and L2 add the gate and up terms; PON multiplies their L1 norms.
    scores[i] = criterion === 'pon' ? g * u : g + u;
  }
  return scores;
}

/** The k highest-scoring indices, ties to the lower index, returned in their original order. */
export function topK(scores: Float64Array, k: number): number[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, k).sort((a, b) => a - b);
}
