// Wanda's calibration pass (Sun et al., "A Simple and Effective Pruning Approach for Large Language
// Models", 2023), run as its reference runs it: locuslab/wanda lib/prune.py `prune_wanda` goes
// layer by layer, gathers ‖X_j‖₂ of each projection's input from the dense layer over the
// calibration inputs, zeroes the layer's weights by |W|·‖X‖, and feeds the same inputs through the
// pruned layer to get the next layer's (`outs[j] = layer(inps[j])`, then `inps, outs = outs, inps`),
// so block l's norms are measured after the already-pruned blocks 0..l−1, as SparseGPT's are
// (src/calibration/sequential.ts). Each block's masks are the engine's (sparsifyWanda with
// wandaPattern). The pruned bytes are kept, one file per matrix under the pass's temp folder, so
// the engine writes them rather than compute the same masks a second time (issue 28: that was a
// second full pass over every projection); given only the norms, it computes the same bytes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import type { CalibrationOptions } from '../calibration/options.js';
import { projections, sequentialBlocks } from '../calibration/sequential.js';
import { calibrationTokens } from '../calibration/tokens.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { DTYPE_BYTES, fromFloat32, toFloat32 } from '../formats/safetensors/dtypes.js';
import { nmPattern, type SparsityRecipe, sparsityOfLayer } from '../recipes/schema.js';
import { sparsifyWanda, wandaPattern } from './sparsity.js';

export async function wandaInputNorms(
  dir: string,
  recipe: SparsityRecipe,
  samples: number,
  o: CalibrationOptions & { tmp: string },
): Promise<{ tokens: number; inputNorms: Record<string, Float64Array>; tensorFiles: Record<string, string> }> {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const inputNorms: Record<string, Float64Array> = {};
  const tensorFiles: Record<string, string> = {};
  const pruned = join(o.tmp, 'wanda-pruned');
  await mkdir(pruned, { recursive: true });
  try {
    const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
    const tokens = calibrationTokens(dir, folder.config, recipe.calibration!, samples);
    const nm = nmPattern(recipe.pattern);
    await sequentialBlocks(ckpt, arch, tokens, o, 'wanda', (l, dense) => {
      const targets = projections(arch, l);
      const taps = [...new Set(targets.map((t) => t.tap))];
      const sumsq = new Map<string, Float64Array>();
      return {
        taps,
        observe(out) {
          for (const tap of taps) {
            const x = out[tap]!;
            const cols = x.dims[1]!;
            if (!sumsq.has(tap)) sumsq.set(tap, new Float64Array(cols));
            const acc = sumsq.get(tap)!;
            const data = x.data as Float32Array;
            for (let i = 0; i < data.length; i++) acc[i % cols]! += data[i]! * data[i]!;
          }
        },
        async prune() {
          const out = new Map<string, Float32Array>();
          for (const t of targets) {
            const { dtype, shape } = ckpt.info(t.name);
            const [rows, cols] = shape as [number, number];
            const norms = sumsq.get(t.tap)!.map(Math.sqrt);
            inputNorms[t.name] = norms;
            // The dense FP32 values are the checkpoint's, so this round trip gives its bytes back.
            const bytes = fromFloat32(dense.get(t.name)!, dtype);
            sparsifyWanda(bytes, dtype, DTYPE_BYTES[dtype], rows, cols, norms, wandaPattern(sparsityOfLayer(recipe, l), nm, cols));
            out.set(t.name, toFloat32(bytes, dtype));
            const file = join(pruned, `${Object.keys(tensorFiles).length}.bin`);
            await writeFile(file, bytes);
            tensorFiles[t.name] = file;
          }
          return out;
        },
      };
    });
    return { tokens: tokens.length, inputNorms, tensorFiles };
  } finally {
    await ckpt.close();
  }
}
