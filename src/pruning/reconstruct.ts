// The calibrated passes of the reconstruction methods, on the checkpoint's ONNX graph with its
// activation outputs:
//  - the Gram matrices of down_proj's inputs for the least-squares refit of width pruning, a few
//    layers per pass so that memory stays bounded, each written to a file the engine reads when it
//    writes that layer (one over the fit tokens, one over the held-out ones: src/pruning/heldOut.ts);
//  - the linear stand-in of depth pruning: for each removed span, the map that replaces it,
//    folded into the down_proj of the block before it where the held-out tokens say it helps
//    (src/pruning/standIn.ts).
// Pruned values are rounded to the checkpoint's dtype as soon as they are computed: what later
// blocks see is exactly what the child will hold.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import { layerPrefix } from '../arch/tensors.js';
import { type ActivationGraph, openActivationGraph, type WeightFeeds } from '../calibration/activationGraph.js';
import type { CalibrationOptions } from '../calibration/options.js';
import { WINDOW } from '../calibration/sequential.js';
import { calibrationTokens } from '../calibration/tokens.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { fromFloat32, toFloat32 } from '../formats/safetensors/dtypes.js';
import {
  decide,
  type GramFiles,
  HELD_OUT_FRACTION,
  type HeldOutDecision,
  type HeldOutReport,
  type RefitGrams,
  splitCalibration,
} from './heldOut.js';
import { addGram, symmetrize } from './linalg.js';
import { foldIntoDownProj, removedSpans, StandInAccumulator } from './standIn.js';

/** Gram matrices held at once while collecting down_proj inputs. */
const GRAM_BUDGET_BYTES = 256 * 1024 * 1024;

async function open(dir: string) {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
  return { folder, ckpt, arch };
}

/** Σ x·xᵀ of each tap over the calibration tokens (Float64 [width, width]). */
async function grams(session: ActivationGraph, tokens: number[], taps: string[], feeds: WeightFeeds, signal?: AbortSignal) {
  const out = new Map<string, { gram: Float64Array; width: number }>();
  for (let start = 0; start < tokens.length; start += WINDOW) {
    signal?.throwIfAborted();
    const ids = tokens.slice(start, start + WINDOW);
    const run = await session.run([ids], taps, feeds);
    for (const tap of taps) {
      const x = run[tap]!;
      const width = x.dims[1]!;
      if (!out.has(tap)) out.set(tap, { gram: new Float64Array(width * width), width });
      addGram(out.get(tap)!.gram, x.data as Float32Array, x.dims[0]!, width);
    }
  }
  for (const g of out.values()) symmetrize(g.gram, g.width);
  return out;
}

export interface CalibratedWeights {
  tokens: number;
  /** The new weights by tensor name (SparseGPT's pruned projections, the stand-ins' down_proj), rounded to the checkpoint's dtype. */
  weights: Map<string, Float32Array>;
}

/** The projections a refit recomputes on its kept inputs: each one's activation tap and weight. */
const REFIT_PROJECTIONS = {
  down_proj: { tap: 'mlp_in', weight: 'mlp.down_proj.weight' },
  o_proj: { tap: 'o_in', weight: 'self_attn.o_proj.weight' },
} as const;

/**
 * Writes Σ x·xᵀ of each layer's down_proj input (or o_proj's: attention pruning's refit; the dense
 * model's) over the fit tokens to `${tmp}/gram-L.f64` and over the held-out tokens
 * (src/pruning/heldOut.ts) to `${tmp}/gram-L.held-out.f64`, and returns the files of each weight.
 */
export async function downProjGrams(
  dir: string,
  calibration: string,
  samples: number,
  o: CalibrationOptions & { tmp: string },
  projection: keyof typeof REFIT_PROJECTIONS = 'down_proj',
): Promise<RefitGrams> {
  const { tap, weight } = REFIT_PROJECTIONS[projection];
  const { folder, ckpt, arch } = await open(dir);
  await ckpt.close();
  const graphDir = join(o.tmp, 'refit-graph');
  const session = await openActivationGraph(dir, graphDir, o);
  const { fit, heldOut } = splitCalibration(calibrationTokens(dir, folder.config, calibration, samples));
  // Two Gram matrices per layer (fit and held-out) within the budget.
  const inputs = projection === 'o_proj' ? arch.numHeads * arch.headDim : arch.intermediateSize;
  const perPass = Math.max(1, Math.floor(GRAM_BUDGET_BYTES / (2 * inputs ** 2 * 8)));
  const files: Record<string, GramFiles> = {};
  try {
    for (let first = 0; first < arch.numLayers; first += perPass) {
      const layers = Array.from({ length: Math.min(perPass, arch.numLayers - first) }, (_, i) => first + i);
      const taps = layers.map((l) => `${tap}_${l}`);
      const byPart = { fit: await grams(session, fit, taps, {}, o.signal), heldOut: await grams(session, heldOut, taps, {}, o.signal) };
      for (const l of layers) {
        const pair = { fit: join(o.tmp, `gram-${l}.f64`), heldOut: join(o.tmp, `gram-${l}.held-out.f64`) };
        for (const part of ['fit', 'heldOut'] as const) {
          const g = byPart[part].get(`${tap}_${l}`)!.gram;
          await writeFile(pair[part], new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
        }
        files[`${layerPrefix(arch, l)}${weight}`] = pair;
      }
      o.onProgress?.('calibration', Math.min(1, (first + layers.length) / arch.numLayers));
    }
  } finally {
    await session.release();
  }
  return { fitTokens: fit.length, heldOutTokens: heldOut.length, files };
}

/** M = Z·Wᵀ (the MLP output of block s−1, [rows, d]) for down_proj W [d, inner] and its input Z [rows, inner]. */
function mlpOutput(z: Float32Array, rows: number, inner: number, w: Float32Array, d: number): Float32Array {
  const m = new Float32Array(rows * d);
  for (let t = 0; t < rows; t++) {
    const zt = t * inner;
    for (let i = 0; i < d; i++) {
      let acc = 0;
      const wi = i * inner;
      for (let j = 0; j < inner; j++) acc += z[zt + j]! * w[wi + j]!;
      m[t * d + i] = acc;
    }
  }
  return m;
}

/**
 * The linear stand-in for each span of `removed` blocks (depth pruning, ReplaceMe): one pass of the
 * dense model over the calibration tokens. Per span, the map is fitted on the fit tokens and folded
 * into the down_proj of the block before it, rounded to the checkpoint's dtype; on the held-out
 * tokens (src/pruning/heldOut.ts) the residual stream it leaves is compared with the one plain
 * removal leaves, and only the spans where it is closer to the span's output keep their map.
 */
export async function linearStandIns(
  dir: string,
  removed: readonly number[],
  calibration: string,
  samples: number,
  dampening: number,
  o: CalibrationOptions & { tmp: string },
): Promise<CalibratedWeights & { report: HeldOutReport }> {
  const { folder, ckpt, arch } = await open(dir);
  const graphDir = join(o.tmp, 'stand-in-graph');
  try {
    const spans = removedSpans(removed).map(([s, e]) => {
      if (s === 0) throw new Error('the linear stand-in needs a block before the span (block 0 has none)');
      const name = `${layerPrefix(arch, s - 1)}mlp.down_proj.weight`;
      return { s, e, name, acc: new StandInAccumulator(arch.hiddenSize), folded: new Float32Array(0) as Float32Array, before: 0, after: 0 };
    });
    const down = new Map<string, Float32Array>();
    for (const span of spans) down.set(span.name, await ckpt.readFloat32(span.name));
    const session = await openActivationGraph(dir, graphDir, o);
    const { fit, heldOut } = splitCalibration(calibrationTokens(dir, folder.config, calibration, samples));
    const d = arch.hiddenSize;
    const taps = [...new Set(spans.flatMap((x) => [`mlp_in_${x.s - 1}`, `hidden_out_${x.s - 1}`, `hidden_out_${x.e - 1}`]))];
    const total = fit.length + heldOut.length;
    /** Runs `tokens` in windows; per span: M (the MLP output of block s−1), R = h_{e−1} − (h_{s−1} − M), Z. */
    const pass = async (
      tokens: number[],
      done: number,
      each: (span: (typeof spans)[number], m: Float32Array, r: Float32Array, z: Float32Array, rows: number, inner: number) => void,
    ) => {
      for (let start = 0; start < tokens.length; start += WINDOW) {
        o.signal?.throwIfAborted();
        const run = await session.run([tokens.slice(start, start + WINDOW)], taps);
        for (const span of spans) {
          const z = run[`mlp_in_${span.s - 1}`]!;
          const before = run[`hidden_out_${span.s - 1}`]!.data as Float32Array;
          const after = run[`hidden_out_${span.e - 1}`]!.data as Float32Array;
          const [rows, inner] = z.dims as [number, number];
          const m = mlpOutput(z.data as Float32Array, rows, inner, down.get(span.name)!, d);
          const r = new Float32Array(rows * d);
          for (let i = 0; i < r.length; i++) r[i] = after[i]! - before[i]! + m[i]!;
          each(span, m, r, z.data as Float32Array, rows, inner);
        }
        o.onProgress?.('calibration', Math.min(1, (done + start + WINDOW) / total));
      }
    };
    try {
      await pass(fit, 0, (span, m, r, _z, rows) => span.acc.add(m, r, rows));
      for (const span of spans) {
        o.signal?.throwIfAborted();
        const { dtype, shape } = ckpt.info(span.name);
        const folded = foldIntoDownProj(span.acc.solve(dampening), down.get(span.name)!, d, shape[1]!);
        span.folded = toFloat32(fromFloat32(Float32Array.from(folded), dtype), dtype);
      }
      // Held out: plain removal leaves h_{s−1} = x + M where the span's output R + x is due, the
      // stand-in x + M′ with M′ from the down_proj as written: the errors are ‖M − R‖², ‖M′ − R‖².
      await pass(heldOut, fit.length, (span, m, r, z, rows, inner) => {
        const m2 = mlpOutput(z, rows, inner, span.folded, d);
        for (let i = 0; i < r.length; i++) {
          span.before += (m[i]! - r[i]!) ** 2;
          span.after += (m2[i]! - r[i]!) ** 2;
        }
      });
    } finally {
      await session.release();
    }
    const weights = new Map<string, Float32Array>();
    const layers: HeldOutDecision[] = [];
    for (const span of spans) {
      const removedBlocks = Array.from({ length: span.e - span.s }, (_, i) => span.s + i);
      const decision = decide(span.s - 1, span.before / heldOut.length, span.after / heldOut.length, removedBlocks);
      layers.push(decision);
      if (decision.applied) weights.set(span.name, span.folded);
    }
    const report: HeldOutReport = {
      reconstruct: 'linear',
      held_out_fraction: HELD_OUT_FRACTION,
      fit_tokens: fit.length,
      held_out_tokens: heldOut.length,
      layers,
    };
    return { tokens: total, weights, report };
  } finally {
    await ckpt.close();
  }
}
