// SparseGPT's calibrated pass, sequential as in the paper (Frantar & Alistarh 2023, §3.4) and
// IST-DASLab/sparsegpt's llama.py `llama_sequential`: block l's inputs are the calibration tokens'
// hidden states after the already-pruned blocks 0..l−1 (src/calibration/sequential.ts); all of block
// l's projections are pruned from one pass of the dense block over them (the reference without
// --true-sequential: q/k/v share H, as gate/up do), then the pruned block gives block l+1's inputs.
// Pruned values are rounded to the checkpoint's dtype as soon as they are computed: what later
// blocks see is exactly what the child will hold.
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import type { CalibrationOptions } from '../calibration/options.js';
import { projections, sequentialBlocks } from '../calibration/sequential.js';
import { calibrationTokens } from '../calibration/tokens.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { fromFloat32, toFloat32 } from '../formats/safetensors/dtypes.js';
import { dampeningOf, nmPattern, type SparsityRecipe, samplesOf, sparsityOfLayer } from '../recipes/schema.js';
import { addGram, symmetrize } from './linalg.js';
import type { CalibratedWeights } from './reconstruct.js';
import { type PreparedHessian, prepareHessian, sparseGptWith } from './sparsegpt.js';

export async function sparseGptWeights(
  dir: string,
  recipe: SparsityRecipe,
  o: CalibrationOptions & { tmp: string },
): Promise<CalibratedWeights> {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
  const weights = new Map<string, Float32Array>();
  try {
    const tokens = calibrationTokens(dir, folder.config, recipe.calibration!, samplesOf(recipe));
    const nm = nmPattern(recipe.pattern);
    await sequentialBlocks(ckpt, arch, tokens, o, 'sparsegpt', (l, dense) => {
      const targets = projections(arch, l);
      const taps = [...new Set(targets.map((t) => t.tap))];
      const byTap = new Map<string, { gram: Float64Array; width: number }>();
      return {
        taps,
        observe(out) {
          for (const tap of taps) {
            const x = out[tap]!;
            const width = x.dims[1]!;
            if (!byTap.has(tap)) byTap.set(tap, { gram: new Float64Array(width * width), width });
            addGram(byTap.get(tap)!.gram, x.data as Float32Array, x.dims[0]!, width);
          }
        },
        async prune() {
          const prepared = new Map<string, PreparedHessian>();
          const out = new Map<string, Float32Array>();
          for (const t of targets) {
            o.signal?.throwIfAborted();
            const { dtype, shape } = ckpt.info(t.name);
            const [rows, cols] = shape as [number, number];
            if (!prepared.has(t.tap)) {
              const { gram, width } = byTap.get(t.tap)!;
              symmetrize(gram, width);
              prepared.set(t.tap, prepareHessian(gram, cols, dampeningOf(recipe)));
            }
            const pruned = sparseGptWith(dense.get(t.name)!, rows, prepared.get(t.tap)!, {
              sparsity: nm ? undefined : sparsityOfLayer(recipe, l),
              nm: nm ?? undefined,
            });
            out.set(t.name, toFloat32(fromFloat32(Float32Array.from(pruned), dtype), dtype));
          }
          for (const [name, w] of out) weights.set(name, w);
          return out;
        },
      };
    });
    return { tokens: tokens.length, weights };
  } finally {
    await ckpt.close();
  }
}
