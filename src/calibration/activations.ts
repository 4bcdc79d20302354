// The whole-model calibration pass of the data-driven pruning criteria: the checkpoint's graph
// with its activation outputs is run over the first `samples` tokens of a text file (the
// perplexity protocol's stream: src/calibration/tokens.ts), and gives
//  - block influence (ShortGPT): BI_l = 1 − mean over tokens of cos(h_in_l, h_out_l);
//  - ‖X_j‖₂ of every projection's input in the dense model (the activation criterion of width
//    pruning; Wanda's own norms come from its sequential pass, src/pruning/wandaNorms.ts).
import { layerPrefix } from '../arch/tensors.js';
import type { CalibrationOptions } from './options.js';
import { windowPass } from './windowPass.js';

export interface Calibration {
  tokens: number;
  blockInfluence: number[];
  inputNorms: Record<string, Float64Array>;
}

export function calibrate(dir: string, file: string, samples: number, o: CalibrationOptions): Promise<Calibration> {
  return windowPass(dir, file, samples, o, 'activations', (arch) => {
    const L = arch.numLayers;
    const H = arch.hiddenSize;
    const taps = ['attn_in', 'o_in', 'mlp_norm', 'mlp_in'] as const;
    const sumsq: Record<string, Float64Array> = {};
    const cosSum = new Float64Array(L);
    let counted = 0;
    return {
      outputs: Array.from({ length: L }, (_, l) => [`hidden_in_${l}`, `hidden_out_${l}`, ...taps.map((t) => `${t}_${l}`)]).flat(),
      window(out, ids) {
        for (let l = 0; l < L; l++) {
          const hin = out[`hidden_in_${l}`]!.data as Float32Array;
          const hout = out[`hidden_out_${l}`]!.data as Float32Array;
          for (let t = 0; t < ids.length; t++) {
            let dot = 0;
            let na = 0;
            let nb = 0;
            for (let d = t * H; d < (t + 1) * H; d++) {
              dot += hin[d]! * hout[d]!;
              na += hin[d]! * hin[d]!;
              nb += hout[d]! * hout[d]!;
            }
            cosSum[l] = cosSum[l]! + dot / (Math.sqrt(na * nb) || 1);
          }
          for (const tap of taps) {
            const x = out[`${tap}_${l}`]!;
            const cols = x.dims[1]!;
            const name = `${tap}_${l}`;
            sumsq[name] ??= new Float64Array(cols);
            const acc = sumsq[name];
            const data = x.data as Float32Array;
            for (let i = 0; i < data.length; i++) acc[i % cols]! += data[i]! * data[i]!;
          }
        }
        counted += ids.length;
      },
      done() {
        const inputNorms: Record<string, Float64Array> = {};
        for (let l = 0; l < L; l++) {
          const p = layerPrefix(arch, l);
          const norm = (tap: string) => sumsq[`${tap}_${l}`]!.map(Math.sqrt);
          for (const x of ['q', 'k', 'v']) inputNorms[`${p}self_attn.${x}_proj.weight`] = norm('attn_in');
          inputNorms[`${p}self_attn.o_proj.weight`] = norm('o_in');
          inputNorms[`${p}mlp.gate_proj.weight`] = norm('mlp_norm');
          inputNorms[`${p}mlp.up_proj.weight`] = norm('mlp_norm');
          inputNorms[`${p}mlp.down_proj.weight`] = norm('mlp_in');
        }
        return { tokens: counted, blockInfluence: Array.from(cosSum, (c) => 1 - c / counted), inputNorms };
      },
    };
  });
}
