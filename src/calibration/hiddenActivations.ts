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

import type { CalibrationOptions } from './options.js';
import { windowPass } from './windowPass.js';

/** The norm outputs read, per layer (src/onnx/decoderGraph.ts taps). */
export const HIDDEN_TAPS = ['attn_in', 'mlp_norm'] as const;

/**
 * The score of every hidden channel: F[i] = Σ_{l, norm} sqrt(Σ_b (mean_t |y[b, t, i]|)²), y the
 * output of a block's norm, b over the calibration windows, t over a window's tokens.
 */
export function hiddenActivations(dir: string, file: string, samples: number, o: CalibrationOptions): Promise<Float64Array> {
  return windowPass(dir, file, samples, o, 'hidden-activations', (arch) => {
    const H = arch.hiddenSize;
    const names = Array.from({ length: arch.numLayers }, (_, l) => HIDDEN_TAPS.map((t) => `${t}_${l}`)).flat();
    // Σ_b (mean_t |y|)² of each norm and channel.
    const sumSq = names.map(() => new Float64Array(H));
    const mean = new Float64Array(H);
    return {
      outputs: names,
      window(out, ids) {
        names.forEach((name, n) => {
          const y = out[name]!.data as Float32Array;
          mean.fill(0);
          for (let t = 0; t < ids.length; t++) for (let i = 0; i < H; i++) mean[i]! += Math.abs(y[t * H + i]!);
          const acc = sumSq[n]!;
          for (let i = 0; i < H; i++) acc[i]! += (mean[i]! / ids.length) ** 2;
        });
      },
      done() {
        const scores = new Float64Array(H);
        for (const acc of sumSq) for (let i = 0; i < H; i++) scores[i]! += Math.sqrt(acc[i]!);
        return scores;
      },
    };
  });
}
