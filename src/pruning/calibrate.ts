// Calibration for the data-driven pruning criteria: the checkpoint's graph with its activation
// outputs is run over the first `samples` tokens of a text file (the perplexity protocol's
// stream), and gives
//  - block influence (ShortGPT): BI_l = 1 − mean over tokens of cos(h_in_l, h_out_l);
//  - ‖X_j‖₂ of every projection's input in the dense model (the activation criterion of width
//    pruning; Wanda's own norms come from its sequential pass, src/pruning/wandaNorms.ts);
// and, for depth by perplexity sensitivity, each block is removed in turn and the perplexity of
// the rest measured on the same tokens.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import { layerPrefix } from '../arch/tensors.js';
import { perplexity } from '../eval/perplexity.js';
import { loadTokenizer } from '../eval/tokenizer.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { checkpointKey } from '../onnx/cache.js';
import { exportOnnx } from '../onnx/export.js';
import { LmSession } from '../onnx/session.js';
import { calibrationTokens } from './calibrationTokens.js';
import { prune } from './engine.js';
import type { HeldOutReport, RefitGrams } from './heldOut.js';
import { planPrune } from './plan.js';
import { type DepthRecipe, dampeningOf, type Recipe, samplesOf } from './recipe.js';
import { downProjGrams, linearStandIns } from './reconstruct.js';
import { sparseGptWeights } from './sparsegptWeights.js';
import { wandaInputNorms } from './wandaNorms.js';

export interface CalibrationOptions {
  cacheDir: string;
  threads: number;
  fileHashes?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

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
  o.onProgress?.('export', 0);
  const { modelPath } = await exportOnnx(dir, graphDir, { activations: true, outputs: [] });
  const session = await LmSession.open(modelPath, { threads: o.threads });
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

/** Perplexity of the model without block l, for each l (Shortened-LLaMA's PPL criterion). */
export async function perplexityWithout(
  dir: string,
  file: string,
  samples: number,
  o: CalibrationOptions & { tmp: string },
): Promise<number[]> {
  const config = (await readCheckpointFolder(dir)).config;
  const L = Number(config.num_hidden_layers);
  const tokenizer = loadTokenizer(dir, config);
  const scores: number[] = [];
  for (let l = 0; l < L; l++) {
    o.signal?.throwIfAborted();
    const child = join(o.tmp, `without-${l}`);
    await mkdir(o.tmp, { recursive: true });
    await prune(dir, child, { method: 'depth', layers: [l] }, { parentHashes: o.fileHashes ?? {}, signal: o.signal });
    const { modelPath } = await exportOnnx(child, `${child}-onnx`, { outputs: ['target_logprobs'] });
    const session = await LmSession.open(modelPath, { threads: o.threads });
    try {
      const [ppl] = await perplexity(
        { session, tokenizer, maxPositions: Number(config.max_position_embeddings ?? 2048) },
        { data: file, limit: samples },
      );
      scores.push(ppl!.value);
    } finally {
      await session.release();
      await rm(child, { recursive: true, force: true });
      await rm(`${child}-onnx`, { recursive: true, force: true });
    }
    o.onProgress?.('perplexity sensitivity', (l + 1) / L);
  }
  return scores;
}

export interface ResolvedRecipe {
  recipe: Recipe;
  inputNorms?: Record<string, Float64Array>;
  /** SparseGPT: the pruned projection weights; the linear stand-in: the down_proj that carries each map. */
  weights?: Map<string, Float32Array>;
  /** Least-squares refit: the files holding each down_proj input's Gram matrices (fit and held-out tokens). */
  gramFiles?: RefitGrams;
  /** The linear stand-in: the held-out decision of each span (src/pruning/heldOut.ts). */
  reconstruction?: HeldOutReport;
}

/** Turns a data-driven recipe into the explicit one the engine runs (the scores kept in it). */
export async function resolveRecipe(dir: string, recipe: Recipe, o: CalibrationOptions & { tmp: string }): Promise<ResolvedRecipe> {
  if (recipe.method === 'depth') {
    let resolved: DepthRecipe = recipe;
    if (recipe.criterion && !recipe.layers) {
      const samples = samplesOf(recipe);
      const scores =
        recipe.criterion === 'block-influence'
          ? (await calibrate(dir, recipe.calibration!, samples, o)).blockInfluence
          : await perplexityWithout(dir, recipe.calibration!, samples, o);
      // Remove the blocks whose removal hurts least: lowest influence, or lowest perplexity without
      // them. A linear stand-in needs a block before each span, so block 0 stays then.
      const layers = scores
        .map((s, l) => [s, l] as const)
        .filter(([, l]) => l > 0 || recipe.reconstruct !== 'linear')
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, recipe.count!)
        .map(([, l]) => l)
        .sort((a, b) => a - b);
      resolved = { ...recipe, samples, layers, scores: scores.map((s) => Number(s.toPrecision(6))) };
    }
    if (recipe.reconstruct !== 'linear') return { recipe: resolved };
    // The plan says which blocks go (and refuses what cannot carry a stand-in) as for any recipe.
    const plan = planPrune((await readCheckpointFolder(dir)).config, resolved);
    if (plan.method !== 'depth') throw new Error('a depth recipe planned as another method');
    const samples = samplesOf(resolved);
    const dampening = dampeningOf(resolved);
    const { weights, report } = await linearStandIns(dir, plan.removedLayers, resolved.calibration!, samples, dampening, o);
    return { recipe: { ...resolved, samples, dampening }, weights, reconstruction: report };
  }
  if (recipe.method === 'sparsity' && recipe.criterion === 'sparsegpt') {
    const resolved = { ...recipe, samples: samplesOf(recipe), dampening: dampeningOf(recipe) };
    const { weights } = await sparseGptWeights(dir, resolved, o);
    return { recipe: resolved, weights };
  }
  if (
    (recipe.method === 'sparsity' && recipe.criterion === 'wanda') ||
    (recipe.method === 'mlp-width' && (recipe.criterion === 'activation' || recipe.reconstruct === 'least-squares'))
  ) {
    const samples = samplesOf(recipe);
    // Wanda's norms come from the sequential pass its reference runs (src/pruning/wandaNorms.ts);
    // the activation criterion of width pruning scores the dense model's.
    const { inputNorms } =
      recipe.method === 'sparsity'
        ? await wandaInputNorms(dir, recipe, samples, o)
        : recipe.criterion === 'activation'
          ? await calibrate(dir, recipe.calibration!, samples, o)
          : {};
    if (recipe.method === 'mlp-width' && recipe.reconstruct === 'least-squares') {
      const gramFiles = await downProjGrams(dir, recipe.calibration!, samples, o);
      return { recipe: { ...recipe, samples, dampening: dampeningOf(recipe) }, inputNorms, gramFiles };
    }
    return { recipe: { ...recipe, samples }, inputNorms };
  }
  return { recipe };
}
