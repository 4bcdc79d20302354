// The whole-model calibration pass of the data-driven pruning criteria: the checkpoint's graph
// with its activation outputs is run over the first `samples` tokens of a text file (the
// perplexity protocol's stream: src/calibration/tokens.ts), and gives
//  - block influence (ShortGPT): BI_l = 1 − mean over tokens of cos(h_in_l, h_out_l);
//  - ‖X_j‖₂ of every projection's input in the dense model (the activation criterion of width
//    pruning; Wanda's own norms come from its sequential pass, src/pruning/wandaNorms.ts).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import { layerPrefix } from '../arch/tensors.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { checkpointKey } from '../onnx/cache.js';
import { openActivationGraph } from './activationGraph.js';
import type { CalibrationOptions } from './options.js';
import { calibrationTokens } from './tokens.js';

export interface Calibration {
  tokens: number;
  blockInfluence: number[];
  inputNorms: Record<string, Float64Array>;
}

const WINDOW = 256;

export async function calibrate(dir: string, file: string, samples: number, o: CalibrationOptions): Promise<Calibration> {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
  await ckpt.close();
  const key = await checkpointKey(dir, o.fileHashes);
  const graphDir = join(o.cacheDir, `${key.slice(0, 32)}-activations`);
  const session = await openActivationGraph(dir, graphDir, o);
  const tokens = calibrationTokens(dir, folder.config, file, samples);
  const L = arch.numLayers;
  const taps = ['attn_in', 'o_in', 'mlp_norm', 'mlp_in'] as const;
  const sumsq: Record<string, Float64Array> = {};
  const cosSum = new Float64Array(L);
  let counted = 0;
  try {
    for (let start = 0; start < tokens.length; start += WINDOW) {
      o.signal?.throwIfAborted();
      const ids = tokens.slice(start, start + WINDOW);
      const fetch = Array.from({ length: L }, (_, l) => [`hidden_in_${l}`, `hidden_out_${l}`, ...taps.map((t) => `${t}_${l}`)]).flat();
      const out = await session.run([ids], fetch);
      for (let l = 0; l < L; l++) {
        const hin = out[`hidden_in_${l}`]!.data as Float32Array;
        const hout = out[`hidden_out_${l}`]!.data as Float32Array;
        const H = arch.hiddenSize;
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
      o.onProgress?.('calibration', Math.min(1, (start + WINDOW) / tokens.length));
    }
  } finally {
    await session.release();
    await rm(graphDir, { recursive: true, force: true });
  }
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
}
