// Minitron's head importance (Muralidharan et al. 2024, "Compact Language Models via Pruning and
// Knowledge Distillation", arXiv 2407.14679, §2.2): F_head(i) aggregates ‖Attn(XW_Q,i, XW_K,i,
// XW_V,i)‖₂, the L2 norm of head i's attention output (its head_dim slice of o_proj's input)
// at every token. The paper's aggregation study (§4, "batch = L2, sequence = mean" the best
// one-shot choice) fixes how tokens combine: the mean over the tokens of each sequence, then the
// L2 norm over the sequences of the batch. Here a sequence is one calibration window.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { checkpointKey } from '../onnx/cache.js';
import { openActivationGraph } from './activationGraph.js';
import type { CalibrationOptions } from './options.js';
import { calibrationTokens } from './tokens.js';

/** Tokens per sequence: the window of the other calibration passes (src/calibration/activations.ts). */
export const HEAD_WINDOW = 256;

/**
 * The score of every query head of every layer: scores[l][h] = sqrt(Σ_b (mean_t ‖o_in[b, t, h]‖₂)²),
 * b over the calibration windows, t over a window's tokens, o_in[b, t, h] the head_dim values of
 * head h in o_proj's input.
 */
export async function headActivations(dir: string, file: string, samples: number, o: CalibrationOptions): Promise<Float64Array[]> {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
  await ckpt.close();
  const key = await checkpointKey(dir, o.fileHashes);
  const graphDir = join(o.cacheDir, `${key.slice(0, 32)}-head-activations`);
  const session = await openActivationGraph(dir, graphDir, o);
  const tokens = calibrationTokens(dir, folder.config, file, samples);
  const L = arch.numLayers;
  const heads = arch.numHeads;
  const d = arch.headDim;
  const sumSq = Array.from({ length: L }, () => new Float64Array(heads));
  try {
    for (let start = 0; start < tokens.length; start += HEAD_WINDOW) {
      o.signal?.throwIfAborted();
      const ids = tokens.slice(start, start + HEAD_WINDOW);
      const out = await session.run(
        [ids],
        Array.from({ length: L }, (_, l) => `o_in_${l}`),
      );
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
      o.onProgress?.('calibration', Math.min(1, (start + HEAD_WINDOW) / tokens.length));
    }
  } finally {
    await session.release();
    await rm(graphDir, { recursive: true, force: true });
  }
  return sumSq.map((s) => s.map(Math.sqrt));
}
