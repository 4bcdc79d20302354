// Runs a recipe on a checkpoint folder: streams the parent's tensors, transforms the ones the
// method changes, copies the rest chunk by chunk, and moves the finished folder into place. Which
// tensors change and how is the method's (src/pruning/methods/); this is a generic streaming
// writer over the outputs it plans.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { countFromTensors } from '../arch/params.js';
import { alignPrefix } from '../arch/registry.js';
import { BonsaiError } from '../errors.js';
import { checkpointFiles } from '../formats/checkpoint/files.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { writeTensors } from '../formats/checkpoint/writeTensors.js';
import type { TensorInfo } from '../formats/safetensors/header.js';
import { byteSize, type TensorData, type TensorFileFactory } from '../formats/safetensors/writer.js';
import type { Recipe } from '../recipes/schema.js';
import { sha256File } from '../sha256.js';
import { version } from '../version.js';
import { canonicalJson, recordedRecipe } from './canonical.js';
import { hashFolderInWorker } from './hashWorker.js';
import type { HeldOutReport } from './heldOut.js';
import { methodOf } from './methods/index.js';
import type { Calibrated, Output, OutputContext, PruneProgress } from './methods/types.js';
import { copyInherited, hashStandIns, patchStandIns, RECIPE_FILE, withAtomicFolder } from './output.js';
import { type Plan, planPrune } from './plan.js';
import { countNonZero } from './sparsity.js';

export type { PruneProgress } from './methods/types.js';

export interface PruneOptions extends Calibrated {
  /** sha256 of the parent's files when already known (the registry has them); computed otherwise. */
  parentHashes?: Record<string, string>;
  maxShardBytes?: number;
  onProgress?: (p: PruneProgress) => void;
  signal?: AbortSignal;
  /** What the method read before planning, when already read (`bonsai plan` shows the counted corpus first); read otherwise. */
  prepared?: unknown;
  /** The plan of exactly this recipe on this parent, when already made (pruneCheckpoint plans once); made otherwise. */
  plan?: Plan;
  /**
   * Where the safetensors files go: files in the output folder (the default), or elsewhere (a
   * store's pieces, src/storage/piecesWriter.ts, so that storing the result is renames). Such a
   * writer takes each header once: the parent's hashes are awaited before writing, not patched in.
   */
  tensorWriter?: TensorFileFactory;
}

export interface PruneResult {
  outDir: string;
  plan: Plan;
  files: string[];
  parameters: number;
  /** Sparsity: non-zero values left in the matrices it acted on. */
  nonZero?: number;
  /**
   * Sparsity: the same, tensor by tensor, by name (each element counted from the bytes written; ±0
   * is zero). The registry keeps it beside the tensor's stored hash, so the catalog shows each
   * rewritten tensor's non-zero share without reading its bytes.
   */
  nonZeroByTensor?: Record<string, number>;
  recipeFile: Record<string, unknown>;
  /** Refit or stand-in: which layers kept it, by the held-out check (also in recipeFile.result). */
  reconstruction?: HeldOutReport;
}

const DEFAULT_SHARD = 5 * 1024 ** 3; // transformers' save_pretrained default

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function prune(parentDir: string, outDir: string, recipe: Recipe, options: PruneOptions = {}): Promise<PruneResult> {
  const folder = await readCheckpointFolder(parentDir);
  const report = options.onProgress ?? (() => {});
  const method = methodOf(recipe);
  const plan =
    options.plan ??
    planPrune(
      folder.config,
      recipe,
      join(parentDir, 'config.json'),
      options.prepared ?? method.prepare?.(parentDir, folder.config, recipe, (f) => report({ stage: 'counting', progress: 0.05 * f })),
    );
  // The parent's checkpoint files (not its evaluation results or training leftovers): what the
  // recipe's hashes cover, as the registry stores them.
  const parentFiles = (await checkpointFiles(parentDir)).files.map((f) => f.name);
  return withAtomicFolder(outDir, async (tmp) => {
    const hashing = options.parentHashes ? Promise.resolve(options.parentHashes) : hashFolderInWorker(parentDir, parentFiles);
    // Settled below; until then a failure must not surface as an unhandled rejection.
    hashing.catch(() => {});
    const ckpt = await CheckpointTensors.open(parentDir);
    try {
      const infos = ckpt.infos();
      const parentArch = alignPrefix(
        plan.arch,
        infos.map((t) => t.name),
      );
      const same = (t: TensorInfo): Output => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], source: t.name });
      const ctx: OutputContext = {
        ckpt,
        infos,
        prefix: parentArch.prefix,
        layerRe: new RegExp(`^${escapeRegExp(parentArch.prefix)}layers\\.(\\d+)\\.(.*)$`),
        same,
        calibrated: options,
        report,
        signal: options.signal,
      };
      const planned = await method.outputs(ctx, plan);
      const outputs = planned.tensors;
      // The header carries the parent's hashes, but writing files need not wait for them: stand-ins
      // of the same length go in first and are patched in place once the hashes are known. Another
      // writer (a store's pieces) cannot go back: it waits.
      const known = options.parentHashes ?? (options.tensorWriter ? await hashing : undefined);
      const standIns = known ? undefined : hashStandIns(parentFiles);
      const recorded = recordedRecipe(recipe);
      const metadata = {
        format: 'pt',
        bonsai_recipe: canonicalJson({ method: recipe.method, recipe: recorded, parent_files: known ?? standIns }),
      };
      const sizes = new Map(outputs.map((o) => [o.name, byteSize(o)]));
      const totalBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
      let written = 0;
      const nonZeroByTensor: Record<string, number> | undefined = method.countsNonZero ? {} : undefined;
      const files = await writeTensors(
        tmp,
        outputs,
        async (spec): Promise<TensorData> => {
          options.signal?.throwIfAborted();
          const o = spec as Output;
          if (!o.transform) return ckpt.streamBytes(o.source);
          const bytes = await o.transform(await ckpt.readBytes(o.source));
          if (nonZeroByTensor) nonZeroByTensor[o.name] = countNonZero(bytes, o.dtype);
          return bytes;
        },
        {
          maxShardBytes: options.maxShardBytes ?? DEFAULT_SHARD,
          metadata,
          onTensor: (_d, _t, name) => {
            written += sizes.get(name)!;
            report({ stage: 'writing', progress: 0.1 + (0.85 * written) / totalBytes, detail: name });
          },
          create: options.tensorWriter,
        },
      );
      // The whole's count: the sum over the tensors it rewrote.
      const nonZero = nonZeroByTensor && Object.values(nonZeroByTensor).reduce((a, n) => a + n, 0);
      report({ stage: 'hashing', progress: 0.96 });
      const parentHashes = await hashing;
      if (standIns) await patchStandIns(tmp, files, standIns, parentHashes);
      const recipeFile = {
        bonsai_version: version,
        method: recipe.method,
        recipe: recorded,
        parent: { model_type: folder.config.model_type, architectures: folder.config.architectures, files: parentHashes },
        result: {
          config_changes: plan.changes,
          parameters_before: plan.parameters.before.total,
          parameters: plan.parameters.after.total,
          ...method.result?.(plan, { nonZero }),
        } as Record<string, unknown>,
      };
      const calibrationFile = (recipe as { calibration?: string }).calibration;
      if (calibrationFile !== undefined && existsSync(calibrationFile)) {
        // The data that decided the result, by content: the same file and sample count give the same bytes.
        recipeFile.result.calibration = { file: basename(calibrationFile), sha256: await sha256File(calibrationFile) };
      }
      // Which layers (spans) kept their recovery, and the held-out errors that decided it.
      const reconstruction = planned.reconstruction?.();
      if (reconstruction) recipeFile.result.reconstruction = reconstruction;

      // The plan is a promise: what was written must be exactly what it announced.
      const produced = countFromTensors(plan.arch, outputs);
      if (produced.total !== plan.parameters.after.total || produced.shapeMismatches.length > 0) {
        throw new BonsaiError(
          'INTERNAL_SERVER_ERROR',
          `pruning wrote ${produced.total} parameters, the plan announced ${plan.parameters.after.total}`,
        );
      }
      await writeFile(join(tmp, 'config.json'), `${JSON.stringify(plan.config, null, 2)}\n`);
      await copyInherited(parentDir, tmp, parentFiles);
      await method.writeFiles?.(parentDir, tmp, plan);
      await writeFile(join(tmp, RECIPE_FILE), `${canonicalJson(recipeFile, 2)}\n`);
      report({ stage: 'copying', progress: 1 });
      return {
        outDir,
        plan,
        files: [...files, 'config.json', RECIPE_FILE],
        parameters: produced.total,
        nonZero,
        nonZeroByTensor,
        recipeFile,
        reconstruction,
      };
    } finally {
      await ckpt.close();
    }
  });
}
