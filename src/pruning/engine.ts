// Runs a recipe on a checkpoint folder: streams the parent's tensors, transforms the ones the
// method changes, copies the rest chunk by chunk, and moves the finished folder into place.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { countFromTensors } from '../arch/params.js';
import { alignPrefix } from '../arch/registry.js';
import { layerPrefix, tokenRowTensors } from '../arch/tensors.js';
import { BadInputError, BonsaiError } from '../errors.js';
import { checkpointFiles } from '../formats/checkpoint/files.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { writeTensors } from '../formats/checkpoint/writeTensors.js';
import { DTYPE_BYTES, fromFloat32, toFloat32 } from '../formats/safetensors/dtypes.js';
import type { TensorInfo } from '../formats/safetensors/header.js';
import { byteSize, type TensorData, type TensorSpec } from '../formats/safetensors/writer.js';
import { sha256File } from '../sha256.js';
import { version } from '../version.js';
import { writeTrimmedTokenizer } from '../vocab/files.js';
import { selectVocabulary, type VocabSelection } from '../vocab/select.js';
import { canonicalJson, recordedRecipe } from './canonical.js';
import { hashFolderInWorker } from './hashWorker.js';
import { decide, HELD_OUT_FRACTION, type HeldOutDecision, type HeldOutReport, type RefitGrams } from './heldOut.js';
import { PROJECTION_WEIGHT } from './measureSparsity.js';
import { copyInherited, hashStandIns, patchStandIns, RECIPE_FILE, withAtomicFolder } from './output.js';
import { type Plan, planPrune } from './plan.js';
import type { Recipe } from './recipe.js';
import { dampeningOf, nmPattern } from './recipe.js';
import { heldOutErrors, refitDownProj } from './refit.js';
import { activationScores, neuronScores, topK } from './scores.js';
import { takeColumns, takeRows } from './slice.js';
import {
  countNonZero,
  magnitudeKeys,
  sparsifyMatrix,
  sparsifyNM,
  sparsifyWanda,
  ThresholdFinder,
  wandaPattern,
  zeroBelow,
} from './sparsity.js';

export interface PruneProgress {
  stage: 'hashing' | 'counting' | 'scoring' | 'writing' | 'copying';
  /** 0..1 within the whole run. */
  progress: number;
  detail?: string;
}

export interface PruneOptions {
  /** sha256 of the parent's files when already known (the registry has them); computed otherwise. */
  parentHashes?: Record<string, string>;
  maxShardBytes?: number;
  onProgress?: (p: PruneProgress) => void;
  signal?: AbortSignal;
  /** Wanda: ‖X_j‖₂ of each matrix's input over the calibration tokens, by tensor name (src/eval/calibrate.ts). */
  inputNorms?: Record<string, Float64Array>;
  /** SparseGPT: the pruned projection weights; the linear stand-in: the down_proj carrying each span's map (src/pruning/reconstruct.ts). */
  weights?: Map<string, Float32Array>;
  /** Least-squares refit of width pruning: the Gram matrix files of each down_proj's input (fit and held-out tokens). */
  gramFiles?: RefitGrams;
  /** The linear stand-in: which spans kept their map, by the held-out check (src/pruning/heldOut.ts). */
  reconstruction?: HeldOutReport;
  /** Vocabulary trimming: the selection when already made (`bonsai plan` shows it first); counted otherwise. */
  vocab?: VocabSelection;
}

export interface PruneResult {
  outDir: string;
  plan: Plan;
  files: string[];
  parameters: number;
  /** Sparsity: non-zero values left in the matrices it acted on. */
  nonZero?: number;
  recipeFile: Record<string, unknown>;
  /** Refit or stand-in: which layers kept it, by the held-out check (also in recipeFile.result). */
  reconstruction?: HeldOutReport;
}

interface Output extends TensorSpec {
  source: string;
  transform?: (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;
}

const EPS = 1e-9;
const DEFAULT_SHARD = 5 * 1024 ** 3; // transformers' save_pretrained default

export async function prune(parentDir: string, outDir: string, recipe: Recipe, options: PruneOptions = {}): Promise<PruneResult> {
  const folder = await readCheckpointFolder(parentDir);
  const report = options.onProgress ?? (() => {});
  const vocab =
    recipe.method === 'vocab'
      ? (options.vocab ?? selectVocabulary(parentDir, folder.config, recipe, (f) => report({ stage: 'counting', progress: 0.05 * f })))
      : undefined;
  const plan = planPrune(folder.config, recipe, join(parentDir, 'config.json'), vocab);
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
      const refitDecisions: HeldOutDecision[] = [];
      const outputs = await planOutputs(ckpt, infos, plan, parentArch.prefix, report, options.signal, { ...options, refitDecisions });
      // The header carries the parent's hashes, but writing need not wait for them: stand-ins of
      // the same length go in first and are patched in place once the hashes are known.
      const standIns = options.parentHashes ? undefined : hashStandIns(parentFiles);
      const recorded = recordedRecipe(recipe);
      const metadata = {
        format: 'pt',
        bonsai_recipe: canonicalJson({ method: recipe.method, recipe: recorded, parent_files: options.parentHashes ?? standIns }),
      };
      const sizes = new Map(outputs.map((o) => [o.name, byteSize(o)]));
      const totalBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
      let written = 0;
      let nonZero = plan.method === 'sparsity' ? 0 : undefined;
      const files = await writeTensors(
        tmp,
        outputs,
        async (spec): Promise<TensorData> => {
          options.signal?.throwIfAborted();
          const o = spec as Output;
          if (!o.transform) return ckpt.streamBytes(o.source);
          const bytes = await o.transform(await ckpt.readBytes(o.source));
          if (nonZero !== undefined) nonZero += countNonZero(bytes, o.dtype);
          return bytes;
        },
        {
          maxShardBytes: options.maxShardBytes ?? DEFAULT_SHARD,
          metadata,
          onTensor: (_d, _t, name) => {
            written += sizes.get(name)!;
            report({ stage: 'writing', progress: 0.1 + (0.85 * written) / totalBytes, detail: name });
          },
        },
      );
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
          ...(plan.method === 'mlp-width' ? { kept_neurons_per_layer: plan.keptNeurons } : {}),
          ...(plan.method === 'depth' ? { removed_layers: plan.removedLayers } : {}),
          ...(vocab ? { vocabulary: vocabReport(vocab) } : {}),
        } as Record<string, unknown>,
      };
      const calibrationFile = (recipe as { calibration?: string }).calibration;
      if (calibrationFile !== undefined && existsSync(calibrationFile)) {
        // The data that decided the result, by content: the same file and sample count give the same bytes.
        recipeFile.result.calibration = { file: basename(calibrationFile), sha256: await sha256File(calibrationFile) };
      }
      // Which layers (spans) kept their recovery, and the held-out errors that decided it.
      const reconstruction = plan.method === 'depth' ? options.reconstruction : refitReport(refitDecisions, options.gramFiles);
      if (reconstruction) recipeFile.result.reconstruction = reconstruction;
      if (nonZero !== undefined) {
        recipeFile.result.non_zero_in_target_matrices = nonZero;
        if (plan.method === 'sparsity') recipeFile.result.target_parameters = plan.sparsity.targetParameters;
      }

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
      if (vocab) await writeTrimmedTokenizer(parentDir, tmp, vocab);
      await writeFile(join(tmp, RECIPE_FILE), `${canonicalJson(recipeFile, 2)}\n`);
      report({ stage: 'copying', progress: 1 });
      return {
        outDir,
        plan,
        files: [...files, 'config.json', RECIPE_FILE],
        parameters: produced.total,
        nonZero,
        recipeFile,
        reconstruction,
      };
    } finally {
      await ckpt.close();
    }
  });
}

async function readGram(file: string): Promise<Float64Array> {
  const raw = await readFile(file);
  return new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
}

function refitReport(decisions: HeldOutDecision[], grams: RefitGrams | undefined): HeldOutReport | undefined {
  if (!grams || decisions.length === 0) return undefined;
  return {
    reconstruct: 'least-squares',
    held_out_fraction: HELD_OUT_FRACTION,
    fit_tokens: grams.fitTokens,
    held_out_tokens: grams.heldOutTokens,
    layers: [...decisions].sort((a, b) => a.layer - b.layer),
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function planOutputs(
  ckpt: CheckpointTensors,
  infos: TensorInfo[],
  plan: Plan,
  prefix: string,
  report: (p: PruneProgress) => void,
  signal: AbortSignal | undefined,
  calibrated: Pick<PruneOptions, 'inputNorms' | 'weights' | 'gramFiles' | 'reconstruction'> & { refitDecisions: HeldOutDecision[] },
): Promise<Output[]> {
  const { inputNorms, weights, gramFiles, refitDecisions } = calibrated;
  const same = (t: TensorInfo): Output => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], source: t.name });
  const layerRe = new RegExp(`^${escapeRegExp(prefix)}layers\\.(\\d+)\\.(.*)$`);

  if (plan.method === 'depth') {
    const newIndex = new Map(plan.layerMap.map((old, i) => [old, i]));
    if (plan.recipe.reconstruct === 'linear' && !calibrated.reconstruction)
      throw new BadInputError('recipe.reconstruct', 'the linear stand-in needs its calibration pass first (no held-out decisions)');
    return infos.flatMap((t) => {
      const m = layerRe.exec(t.name);
      if (!m) return [same(t)];
      const to = newIndex.get(Number(m[1]));
      if (to === undefined) return [];
      // The linear stand-in: the down_proj before a removed span carries its map (src/pruning/standIn.ts).
      const folded = weights?.get(t.name);
      const transform = folded ? () => fromFloat32(folded, t.dtype) : undefined;
      return [{ ...same(t), name: `${prefix}layers.${to}.${m[2]}`, ...(transform ? { transform } : {}) }];
    });
  }

  if (plan.method === 'vocab') {
    // Rows of the input embedding and of the head (and its bias) in the new id order; tied
    // embeddings have no lm_head tensor, so the one matrix is sliced once.
    if (!plan.vocab) throw new Error('vocabulary trimming needs the counted corpus before writing');
    const kept = plan.vocab.kept;
    const names = infos.map((t) => t.name);
    const rows = new Set(tokenRowTensors(alignPrefix(plan.arch, names), names));
    return infos.map((t) => {
      if (!rows.has(t.name)) return same(t);
      const cols = t.shape.length > 1 ? t.shape[1]! : 1;
      const shape = t.shape.length > 1 ? [kept.length, cols] : [kept.length];
      return { ...same(t), shape, transform: (b) => takeRows(b, cols, DTYPE_BYTES[t.dtype], kept) };
    });
  }

  if (plan.method === 'mlp-width') {
    const { recipe } = plan;
    const k = plan.keptNeurons;
    const H = plan.arch.hiddenSize;
    const I = Number(infos.find((t) => /mlp\.gate_proj\.weight$/.test(t.name))?.shape[0]);
    const keep = new Map<number, number[]>();
    const layers = new Set(infos.flatMap((t) => (layerRe.exec(t.name) ? [Number(layerRe.exec(t.name)![1])] : [])));
    let scored = 0;
    for (const layer of [...layers].sort((a, b) => a - b)) {
      signal?.throwIfAborted();
      const lp = layerPrefix({ ...plan.arch, prefix }, layer);
      let scores: Float64Array;
      if (recipe.criterion === 'activation') {
        const downName = `${lp}mlp.down_proj.weight`;
        const norms = inputNorms?.[downName];
        if (!norms) throw new BadInputError('recipe.criterion', `the activation criterion needs calibration norms (none for ${downName})`);
        scores = activationScores(await ckpt.readBytes(downName), ckpt.info(downName).dtype, H, I, norms);
      } else {
        const gateName = `${lp}mlp.gate_proj.weight`;
        const gate = await ckpt.readBytes(gateName);
        const up = await ckpt.readBytes(`${lp}mlp.up_proj.weight`);
        scores = neuronScores(gate, up, ckpt.info(gateName).dtype, I, H, recipe.criterion);
      }
      keep.set(layer, k >= I ? Array.from({ length: I }, (_, i) => i) : topK(scores, k));
      report({ stage: 'scoring', progress: (0.1 * ++scored) / layers.size, detail: `layer ${layer}` });
    }
    return infos.map((t) => {
      const m = layerRe.exec(t.name);
      const kept = m ? keep.get(Number(m[1])) : undefined;
      const e = DTYPE_BYTES[t.dtype];
      if (!m || !kept || kept.length === I) return same(t);
      const rest = m[2]!;
      if (rest === 'mlp.gate_proj.weight' || rest === 'mlp.up_proj.weight') {
        return { ...same(t), shape: [k, t.shape[1]!], transform: (b) => takeRows(b, t.shape[1]!, e, kept) };
      }
      if (rest === 'mlp.gate_proj.bias' || rest === 'mlp.up_proj.bias')
        return { ...same(t), shape: [k], transform: (b) => takeRows(b, 1, e, kept) };
      if (rest === 'mlp.down_proj.weight' && recipe.reconstruct === 'least-squares') {
        const files = gramFiles?.files[t.name];
        if (!files)
          throw new BadInputError('recipe.reconstruct', `the least-squares refit needs calibration (no Gram matrix for ${t.name})`);
        const rows = t.shape[0]!;
        return {
          ...same(t),
          shape: [rows, k],
          transform: async (b) => {
            const w = toFloat32(b, t.dtype);
            const fitted = refitDownProj(w, rows, I, kept, await readGram(files.fit), dampeningOf(recipe));
            const written = fromFloat32(Float32Array.from(fitted), t.dtype);
            // Kept only where it beats plain slicing on the held-out tokens, as written (in the dtype).
            const e = heldOutErrors(w, rows, I, kept, toFloat32(written, t.dtype), await readGram(files.heldOut), gramFiles!.heldOutTokens);
            const decision = decide(Number(m[1]), e.before, e.after);
            refitDecisions.push(decision);
            return decision.applied ? written : takeColumns(b, rows, I, DTYPE_BYTES[t.dtype], kept);
          },
        };
      }
      if (rest === 'mlp.down_proj.weight')
        return { ...same(t), shape: [t.shape[0]!, k], transform: (b) => takeColumns(b, t.shape[0]!, I, e, kept) };
      return same(t);
    });
  }

  // Sparsity: the attention and MLP projection matrices; the tensors stay dense.
  const { recipe } = plan;
  const targetRe = PROJECTION_WEIGHT;
  const targets = infos.filter((t) => targetRe.test(t.name));
  const nm = nmPattern(recipe.pattern);
  if (recipe.criterion === 'sparsegpt') {
    const missing = targets.find((t) => !weights?.has(t.name));
    if (missing) {
      throw new BadInputError('recipe.criterion', `SparseGPT needs its calibration pass first (no pruned weights for ${missing.name})`);
    }
    return infos.map((t) =>
      targetRe.test(t.name) ? { ...same(t), transform: () => fromFloat32(weights!.get(t.name)!, t.dtype) } : same(t),
    );
  }
  if (recipe.criterion === 'wanda') {
    const missing = targets.find((t) => !inputNorms?.[t.name]);
    if (missing)
      throw new BadInputError(
        'recipe.criterion',
        `Wanda needs calibration input norms (none for ${missing.name}); resolve the recipe with its calibration file first`,
      );
    return infos.map((t) => {
      if (!targetRe.test(t.name)) return same(t);
      const [rows, cols] = t.shape as [number, number];
      const pattern = wandaPattern(recipe.sparsity, nm, cols);
      return { ...same(t), transform: (b) => sparsifyWanda(b, t.dtype, DTYPE_BYTES[t.dtype], rows, cols, inputNorms![t.name]!, pattern) };
    });
  }
  if (nm) {
    return infos.map((t) =>
      targetRe.test(t.name) ? { ...same(t), transform: (b) => sparsifyNM(b, t.dtype, DTYPE_BYTES[t.dtype], nm.n, nm.m) } : same(t),
    );
  }
  const s = recipe.sparsity!;
  if (recipe.scope === 'per-matrix') {
    return infos.map((t) =>
      targetRe.test(t.name)
        ? {
            ...same(t),
            transform: (b) => sparsifyMatrix(b, t.dtype, DTYPE_BYTES[t.dtype], Math.floor(s * (b.byteLength / DTYPE_BYTES[t.dtype]) + EPS)),
          }
        : same(t),
    );
  }
  // Global: one exact threshold over every target matrix, found in two streaming passes.
  const total = targets.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const k = Math.floor(s * total + EPS);
  const finder = new ThresholdFinder();
  for (const [i, t] of targets.entries()) {
    signal?.throwIfAborted();
    finder.addHigh(magnitudeKeys(await ckpt.readBytes(t.name), t.dtype));
    report({ stage: 'scoring', progress: (0.05 * (i + 1)) / targets.length });
  }
  if (k > 0) finder.locateBin(k);
  for (const [i, t] of targets.entries()) {
    signal?.throwIfAborted();
    if (k > 0) finder.addLow(magnitudeKeys(await ckpt.readBytes(t.name), t.dtype));
    report({ stage: 'scoring', progress: 0.05 + (0.05 * (i + 1)) / targets.length });
  }
  const threshold = k > 0 ? finder.threshold(k) : { key: 0, ties: 0 };
  // Ties at the threshold go to the earliest elements in write order, which is this order.
  let ties = threshold.ties;
  return infos.map((t) =>
    targetRe.test(t.name)
      ? {
          ...same(t),
          transform: (b) => {
            ties = zeroBelow(b, magnitudeKeys(b, t.dtype), DTYPE_BYTES[t.dtype], threshold.key, ties);
            return b;
          },
        }
      : same(t),
  );
}

function vocabReport(v: VocabSelection): Record<string, unknown> {
  return {
    tokens_before: v.before,
    tokens_after: v.kept.length,
    tokens_with_all_merges: v.withAllMerges,
    from_corpus: v.fromCorpus,
    padding: v.padding,
    corpus_tokens: v.corpusTokens,
    coverage: v.coverage,
    corpus: v.corpus.map((c) => ({ ...c, file: basename(c.file) })),
  };
}
