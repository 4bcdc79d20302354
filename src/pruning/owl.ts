// Outlier-Weighed Layerwise sparsity (OWL; Yin et al. 2023, "Outlier Weighed Layerwise Sparsity
// (OWL): A Missing Secret Sauce for Pruning LLMs to High Sparsity", arXiv:2310.05175, §3), as its
// reference computes it (luuyin/OWL lib/prune_all.py `prune_wanda_outlier`, also
// `prune_sparsegpt_outlier` and `prune_mag_outlier`):
//  1. the dense model runs over the calibration tokens and every projection of decoder layer l gets
//     Wanda's scores |W_ij|·‖X_j‖₂ (the reference's `W_metric`);
//  2. the layer's outlier ratio D_l (its "Layerwise Outlier Distribution") is the share of all its
//     projections' scores, flattened together, above M × their mean (`check_outlier_mean`);
//  3. the ratios are min-max scaled to [0, 2λ] and shifted so their mean is the target density
//     1 − S: density_l = 2λ·(D_l − min D)/(max D − min D) − mean + (1 − S), sparsity_l = 1 − density_l;
//  4. the paper (§3, "S_l ∈ [S − λ, S + λ]") bounds every layer to ±λ of the target, which step 3
//     alone does not: one layer with far more outliers than the rest lands up to 2λ(1 − 1/L) away
//     (on the shared model layer 0 lands 12.5 points below 70 % at λ = 0.08). Where that happens the
//     deviations from the target are scaled down together until the farthest is λ: the mean stays
//     the target, the order of the layers stays, and where step 3 already keeps ±λ it is unchanged.
// A layer with more outliers keeps more weights. Every criterion's outlier ratios are Wanda's
// scores, magnitude's too (`prune_mag_outlier` measures them, then prunes by |W|): the paper's
// outliers are activation outliers, which |W| alone does not see.
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import { calibrate } from '../calibration/activations.js';
import type { CalibrationOptions } from '../calibration/options.js';
import { projections } from '../calibration/sequential.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';

/** One projection of a layer: its weights (row-major [rows, cols]) and ‖X_j‖₂ of its inputs. */
export interface ScoredMatrix {
  weights: Float32Array;
  inputNorms: Float64Array;
}

/** Share of the layer's scores |W_ij|·‖X_j‖₂ (all its matrices together) above m × their mean. */
export function outlierRatio(layer: readonly ScoredMatrix[], m: number): number {
  let sum = 0;
  let count = 0;
  for (const { weights, inputNorms } of layer) {
    const cols = inputNorms.length;
    for (let i = 0; i < weights.length; i++) sum += Math.abs(weights[i]!) * inputNorms[i % cols]!;
    count += weights.length;
  }
  const threshold = (sum / count) * m;
  let above = 0;
  for (const { weights, inputNorms } of layer) {
    const cols = inputNorms.length;
    for (let i = 0; i < weights.length; i++) if (Math.abs(weights[i]!) * inputNorms[i % cols]! > threshold) above++;
  }
  return above / count;
}

/**
 * Each layer's sparsity from its outlier ratio: the reference's three numpy lines (step 3), then
 * the paper's ±λ bound (step 4). Their mean is `target`. When every layer has the same ratio the
 * reference divides 0 by 0; the limit, every layer at the target, is returned instead.
 */
export function owlSparsities(ratios: readonly number[], target: number, lambda: number): number[] {
  const min = Math.min(...ratios);
  const max = Math.max(...ratios);
  if (max === min) return ratios.map(() => target);
  const scaled = ratios.map((r) => (r - min) * ((1 / (max - min)) * lambda * 2));
  const mean = scaled.reduce((a, b) => a + b, 0) / scaled.length;
  const reference = scaled.map((x) => 1 - (x - mean + (1 - target)));
  const farthest = Math.max(...reference.map((s) => Math.abs(s - target)));
  if (farthest <= lambda) return reference;
  return reference.map((s) => target + (s - target) * (lambda / farthest));
}

/** Steps 1 and 2 on a checkpoint: every decoder layer's outlier ratio over the calibration text. */
export async function layerOutlierRatios(
  dir: string,
  calibration: string,
  samples: number,
  m: number,
  o: CalibrationOptions,
): Promise<{ tokens: number; ratios: number[] }> {
  const folder = await readCheckpointFolder(dir);
  const { tokens, inputNorms } = await calibrate(dir, calibration, samples, o);
  const ckpt = await CheckpointTensors.open(dir);
  try {
    const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
    const ratios: number[] = [];
    for (let l = 0; l < arch.numLayers; l++) {
      o.signal?.throwIfAborted();
      const layer: ScoredMatrix[] = [];
      for (const { name } of projections(arch, l)) layer.push({ weights: await ckpt.readFloat32(name), inputNorms: inputNorms[name]! });
      ratios.push(outlierRatio(layer, m));
      o.onProgress?.('owl', (l + 1) / arch.numLayers);
    }
    return { tokens, ratios };
  } finally {
    await ckpt.close();
  }
}
