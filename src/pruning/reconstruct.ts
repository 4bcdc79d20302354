// The calibrated passes of the reconstruction methods, on the checkpoint's ONNX graph with its
// activation outputs:
//  - SparseGPT, sequentially as in the paper: block l's inputs come from the model whose blocks
//    0..l−1 are already pruned (their pruned weights are fed to the graph as overridable
//    initializers), all of block l's projections are pruned from those inputs, then block l+1;
//  - the Gram matrices of down_proj's inputs for the least-squares refit of width pruning, a few
//    layers per pass so that memory stays bounded, each written to a file the engine reads when it
//    writes that layer;
//  - the linear stand-in of depth pruning: for each removed span, the map that replaces it,
//    folded into the down_proj of the block before it (src/pruning/standIn.ts).
// Pruned values are rounded to the checkpoint's dtype as soon as they are computed: what later
// blocks see is exactly what the child will hold.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import { layerPrefix } from '../arch/tensors.js';
import type { ArchConfig } from '../arch/types.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { fromFloat32, toFloat32 } from '../formats/safetensors/dtypes.js';
import { exportOnnx } from '../onnx/export.js';
import { LmSession, type WeightFeeds } from '../onnx/session.js';
import type { CalibrationOptions } from './calibrate.js';
import { calibrationTokens } from './calibrationTokens.js';
import { addGram, symmetrize } from './linalg.js';
import { DEFAULT_DAMPENING, nmPattern, type SparsityRecipe } from './recipe.js';
import { type PreparedHessian, prepareHessian, sparseGptWith } from './sparsegpt.js';
import { foldIntoDownProj, removedSpans, StandInAccumulator } from './standIn.js';

const WINDOW = 256;
/** Gram matrices held at once while collecting down_proj inputs. */
const GRAM_BUDGET_BYTES = 256 * 1024 * 1024;

/** Each projection of block l with the activation tap that is its input. */
function projections(arch: ArchConfig, l: number): Array<{ name: string; tap: string }> {
  const p = layerPrefix(arch, l);
  return [
    ...['q', 'k', 'v'].map((x) => ({ name: `${p}self_attn.${x}_proj.weight`, tap: `attn_in_${l}` })),
    { name: `${p}self_attn.o_proj.weight`, tap: `o_in_${l}` },
    { name: `${p}mlp.gate_proj.weight`, tap: `mlp_norm_${l}` },
    { name: `${p}mlp.up_proj.weight`, tap: `mlp_norm_${l}` },
    { name: `${p}mlp.down_proj.weight`, tap: `mlp_in_${l}` },
  ];
}

async function open(dir: string) {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
  return { folder, ckpt, arch };
}

/** Σ x·xᵀ of each tap over the calibration tokens (Float64 [width, width]). */
async function grams(session: LmSession, tokens: number[], taps: string[], feeds: WeightFeeds, signal?: AbortSignal) {
  const out = new Map<string, { gram: Float64Array; width: number }>();
  for (let start = 0; start < tokens.length; start += WINDOW) {
    signal?.throwIfAborted();
    const ids = tokens.slice(start, start + WINDOW);
    const run = await session.run([ids], taps, undefined, feeds);
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

export async function sparseGptWeights(
  dir: string,
  recipe: SparsityRecipe,
  o: CalibrationOptions & { tmp: string },
): Promise<CalibratedWeights> {
  const { folder, ckpt, arch } = await open(dir);
  const graphDir = join(o.tmp, 'sparsegpt-graph');
  const weights = new Map<string, Float32Array>();
  try {
    const all = Array.from({ length: arch.numLayers }, (_, l) => projections(arch, l)).flat();
    o.onProgress?.('export', 0);
    const { modelPath } = await exportOnnx(dir, graphDir, { activations: true, outputs: [], overridable: all.map((t) => t.name) });
    const session = await LmSession.open(modelPath, { threads: o.threads });
    const tokens = calibrationTokens(dir, folder.config, recipe.calibration!, recipe.samples ?? 2048);
    const nm = nmPattern(recipe.pattern);
    const feeds: WeightFeeds = {};
    try {
      for (let l = 0; l < arch.numLayers; l++) {
        const targets = projections(arch, l);
        const byTap = await grams(session, tokens, [...new Set(targets.map((t) => t.tap))], feeds, o.signal);
        const prepared = new Map<string, PreparedHessian>();
        for (const t of targets) {
          o.signal?.throwIfAborted();
          const { dtype, shape } = ckpt.info(t.name);
          const [rows, cols] = shape as [number, number];
          if (!prepared.has(t.tap))
            prepared.set(t.tap, prepareHessian(byTap.get(t.tap)!.gram, cols, recipe.dampening ?? DEFAULT_DAMPENING));
          const pruned = sparseGptWith(await ckpt.readFloat32(t.name), rows, prepared.get(t.tap)!, {
            sparsity: nm ? undefined : recipe.sparsity,
            nm: nm ?? undefined,
          });
          const rounded = toFloat32(fromFloat32(Float32Array.from(pruned), dtype), dtype);
          weights.set(t.name, rounded);
          feeds[t.name] = { data: rounded, dims: shape };
        }
        o.onProgress?.('sparsegpt', (l + 1) / arch.numLayers);
      }
    } finally {
      await session.release();
    }
    return { tokens: tokens.length, weights };
  } finally {
    await ckpt.close();
  }
}

/**
 * Writes Σ x·xᵀ of each layer's down_proj input (the dense model's) to `${tmp}/gram-L.f64` and
 * returns the file of each down_proj weight.
 */
export async function downProjGrams(
  dir: string,
  calibration: string,
  samples: number,
  o: CalibrationOptions & { tmp: string },
): Promise<{ tokens: number; files: Record<string, string> }> {
  const { folder, ckpt, arch } = await open(dir);
  await ckpt.close();
  const graphDir = join(o.tmp, 'refit-graph');
  o.onProgress?.('export', 0);
  const { modelPath } = await exportOnnx(dir, graphDir, { activations: true, outputs: [] });
  const session = await LmSession.open(modelPath, { threads: o.threads });
  const tokens = calibrationTokens(dir, folder.config, calibration, samples);
  const perPass = Math.max(1, Math.floor(GRAM_BUDGET_BYTES / (arch.intermediateSize ** 2 * 8)));
  const files: Record<string, string> = {};
  try {
    for (let first = 0; first < arch.numLayers; first += perPass) {
      const layers = Array.from({ length: Math.min(perPass, arch.numLayers - first) }, (_, i) => first + i);
      const byTap = await grams(
        session,
        tokens,
        layers.map((l) => `mlp_in_${l}`),
        {},
        o.signal,
      );
      for (const l of layers) {
        const file = join(o.tmp, `gram-${l}.f64`);
        const g = byTap.get(`mlp_in_${l}`)!.gram;
        await writeFile(file, new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
        files[`${layerPrefix(arch, l)}mlp.down_proj.weight`] = file;
      }
      o.onProgress?.('calibration', Math.min(1, (first + layers.length) / arch.numLayers));
    }
  } finally {
    await session.release();
  }
  return { tokens: tokens.length, files };
}

/**
 * The linear stand-in for each span of `removed` blocks (depth pruning, ReplaceMe): one pass of the
 * dense model over the calibration tokens, then per span the down_proj of the block before it with
 * the map folded in, rounded to the checkpoint's dtype, by tensor name.
 */
export async function linearStandIns(
  dir: string,
  removed: readonly number[],
  calibration: string,
  samples: number,
  dampening: number,
  o: CalibrationOptions & { tmp: string },
): Promise<CalibratedWeights> {
  const { folder, ckpt, arch } = await open(dir);
  const graphDir = join(o.tmp, 'stand-in-graph');
  try {
    const spans = removedSpans(removed).map(([s, e]) => {
      if (s === 0) throw new Error('the linear stand-in needs a block before the span (block 0 has none)');
      const name = `${layerPrefix(arch, s - 1)}mlp.down_proj.weight`;
      return { s, e, name, acc: new StandInAccumulator(arch.hiddenSize) };
    });
    const down = new Map<string, Float32Array>();
    for (const span of spans) down.set(span.name, await ckpt.readFloat32(span.name));
    o.onProgress?.('export', 0);
    const { modelPath } = await exportOnnx(dir, graphDir, { activations: true, outputs: [] });
    const session = await LmSession.open(modelPath, { threads: o.threads });
    const tokens = calibrationTokens(dir, folder.config, calibration, samples);
    const d = arch.hiddenSize;
    const taps = [...new Set(spans.flatMap((x) => [`mlp_in_${x.s - 1}`, `hidden_out_${x.s - 1}`, `hidden_out_${x.e - 1}`]))];
    try {
      for (let start = 0; start < tokens.length; start += WINDOW) {
        o.signal?.throwIfAborted();
        const run = await session.run([tokens.slice(start, start + WINDOW)], taps);
        for (const span of spans) {
          const z = run[`mlp_in_${span.s - 1}`]!;
          const before = run[`hidden_out_${span.s - 1}`]!.data as Float32Array;
          const after = run[`hidden_out_${span.e - 1}`]!.data as Float32Array;
          const [rows, inner] = z.dims as [number, number];
          const zd = z.data as Float32Array;
          const w = down.get(span.name)!;
          // M = Z·Wᵀ (the MLP output of block s−1), R = h_{e−1} − (h_{s−1} − M).
          const m = new Float32Array(rows * d);
          const r = new Float32Array(rows * d);
          for (let t = 0; t < rows; t++) {
            for (let i = 0; i < d; i++) {
              let acc = 0;
              const zt = t * inner;
              const wi = i * inner;
              for (let j = 0; j < inner; j++) acc += zd[zt + j]! * w[wi + j]!;
              m[t * d + i] = acc;
              r[t * d + i] = after[t * d + i]! - before[t * d + i]! + acc;
            }
          }
          span.acc.add(m, r, rows);
        }
        o.onProgress?.('calibration', Math.min(1, (start + WINDOW) / tokens.length));
      }
    } finally {
      await session.release();
    }
    const weights = new Map<string, Float32Array>();
    for (const span of spans) {
      o.signal?.throwIfAborted();
      const { dtype, shape } = ckpt.info(span.name);
      const folded = foldIntoDownProj(span.acc.solve(dampening), down.get(span.name)!, d, shape[1]!);
      weights.set(span.name, toFloat32(fromFloat32(Float32Array.from(folded), dtype), dtype));
    }
    return { tokens: tokens.length, weights };
  } finally {
    await ckpt.close();
  }
}
