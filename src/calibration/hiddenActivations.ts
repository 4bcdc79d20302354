// Minitron's embedding-channel importance (Muralidharan et al. 2024, "Compact Language Models via
// Pruning and Knowledge Distillation", arXiv 2407.14679, §2.2): F_emb(i) = Σ_{B,S} LN(X)_i, the
// channel's activation at the output of the LayerNorms, aggregated with the paper's best one-shot
// choice (§4: sequence = mean, batch = L2) and then summed over the norms, as NVIDIA's reference
// implementation does (TensorRT-Model-Optimizer, modelopt/torch/nas/plugins/megatron.py:
// `_emb_layernorm_forward_hook` on every block's input_layernorm and pre_mlp_layernorm takes
// |output| averaged over the sequence, squared and summed over the batch; the importance is
// Σ over hooks of the square root).
//
// The norm's output, not its input (the residual stream itself), because it is what each layer
// reads: a channel the residual stream carries large but a layer's gain weights near zero is not
// used by that layer, and the division by each token's RMS keeps a few tokens with massive
// activations from deciding the ranking. The norms are the two that feed each block's
// projections (the attn_in and mlp_norm taps of the activation graph: input_layernorm and
// post_attention_layernorm, or Gemma-2/3's pre_feedforward_layernorm); Gemma's
// post_attention/post_feedforward norms act on a block's output before it joins the stream, and
// the final norm feeds only lm_head, as in the reference implementation, which hooks neither.

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
export const HIDDEN_WINDOW = 256;

/** The norm outputs read, per layer (src/onnx/decoderGraph.ts taps). */
export const HIDDEN_TAPS = ['attn_in', 'mlp_norm'] as const;

/**
 * The score of every hidden channel: F[i] = Σ_{l, norm} sqrt(Σ_b (mean_t |y[b, t, i]|)²), y the
 * output of a block's norm, b over the calibration windows, t over a window's tokens.
 */
export async function hiddenActivations(dir: string, file: string, samples: number, o: CalibrationOptions): Promise<Float64Array> {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
  await ckpt.close();
  const key = await checkpointKey(dir, o.fileHashes);
  const graphDir = join(o.cacheDir, `${key.slice(0, 32)}-hidden-activations`);
  const session = await openActivationGraph(dir, graphDir, o);
  const tokens = calibrationTokens(dir, folder.config, file, samples);
  const H = arch.hiddenSize;
  const names = Array.from({ length: arch.numLayers }, (_, l) => HIDDEN_TAPS.map((t) => `${t}_${l}`)).flat();
  // Σ_b (mean_t |y|)² of each norm and channel.
  const sumSq = names.map(() => new Float64Array(H));
  const mean = new Float64Array(H);
  try {
    for (let start = 0; start < tokens.length; start += HIDDEN_WINDOW) {
      o.signal?.throwIfAborted();
      const ids = tokens.slice(start, start + HIDDEN_WINDOW);
      const out = await session.run([ids], names);
      names.forEach((name, n) => {
        const y = out[name]!.data as Float32Array;
        mean.fill(0);
        for (let t = 0; t < ids.length; t++) for (let i = 0; i < H; i++) mean[i]! += Math.abs(y[t * H + i]!);
        const acc = sumSq[n]!;
        for (let i = 0; i < H; i++) acc[i]! += (mean[i]! / ids.length) ** 2;
      });
      o.onProgress?.('calibration', Math.min(1, (start + HIDDEN_WINDOW) / tokens.length));
    }
  } finally {
    await session.release();
    await rm(graphDir, { recursive: true, force: true });
  }
  const scores = new Float64Array(H);
  for (const acc of sumSq) for (let i = 0; i < H; i++) scores[i]! += Math.sqrt(acc[i]!);
  return scores;
}
