// Minitron's head importance (Muralidharan et al. 2024, "Compact Language Models via Pruning and
// Knowledge Distillation", arXiv 2407.14679, §2.2): F_head(i) aggregates ‖Attn(XW_Q,i, XW_K,i,
// XW_V,i)‖₂, the L2 norm of head i's attention output (its head_dim slice of o_proj's input)
// at every token. The paper's aggregation study (§4, "batch = L2, sequence = mean" the best
// one-shot choice) fixes how tokens combine: the mean over the tokens of each sequence, then the
// L2 norm over the sequences of the batch. Here a sequence is one calibration window.

import type { CalibrationOptions } from './options.js';
import { windowPass } from './windowPass.js';

/**
 * The score of every query head of every layer: scores[l][h] = sqrt(Σ_b (mean_t ‖o_in[b, t, h]‖₂)²),
 * b over the calibration windows, t over a window's tokens, o_in[b, t, h] the head_dim values of
 * head h in o_proj's input.
 */
export function headActivations(dir: string, file: string, samples: number, o: CalibrationOptions): Promise<Float64Array[]> {
  return windowPass(dir, file, samples, o, 'head-activations', (arch) => {
    const L = arch.numLayers;
    const heads = arch.numHeads;
    const d = arch.headDim;
    const sumSq = Array.from({ length: L }, () => new Float64Array(heads));
    return {
      outputs: Array.from({ length: L }, (_, l) => `o_in_${l}`),
      window(out, ids) {
        for (let l = 0; l < L; l++) {
          const x = out[`o_in_${l}`]!.data as Float32Array;
          const width = heads * d;
          for (let h = 0; h < heads; h++) {
            let mean = 0;
            for (let t = 0; t < ids.length; t++) {
              let sq = 0;
              for (let c = t * width + h * d; c < t * width + (h + 1) * d; c++) sq += x[c]! * x[c]!;
              mean += Math.sqrt(sq);
            }
            mean /= ids.length;
            sumSq[l]![h]! += mean * mean;
          }
        }
      },
      done: () => sumSq.map((s) => s.map(Math.sqrt)),
    };
  });
}
