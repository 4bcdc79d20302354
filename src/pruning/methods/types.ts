// What a pruning method is, as src/arch/'s adapters are what a model family is: one module per
// method (src/pruning/methods/<method>.ts) says what its child's lineage relation is, how it
// plans from config.json, what calibration it needs, which tensors it writes, how its child is
// named and how a card and a plan describe it. The engine (src/pruning/engine.ts) is a generic
// streaming writer over the outputs a method plans; src/pruning/methods/index.ts lists them.
import type { ParameterCount } from '../../arch/params.js';
import type { ArchConfig } from '../../arch/types.js';
import type { CalibrationOptions } from '../../calibration/options.js';
import type { CheckpointTensors } from '../../formats/checkpoint/tensors.js';
import type { TensorInfo } from '../../formats/safetensors/header.js';
import type { TensorSpec } from '../../formats/safetensors/writer.js';
import type { Method, Recipe } from '../../recipes/schema.js';
import type { HeldOutReport, RefitGrams } from '../heldOut.js';

/** The registry's lineage relation of a child to its parent (Prisma's Relation enum). */
export type PruningRelation = 'WIDTH_PRUNED' | 'DEPTH_PRUNED' | 'SPARSIFIED' | 'VOCAB_TRIMMED' | 'ATTENTION_PRUNED' | 'HIDDEN_PRUNED';

export interface ConfigChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface PlanBase {
  /** The child's config.json. */
  config: Record<string, unknown>;
  arch: ArchConfig;
  changes: ConfigChange[];
  parameters: { before: ParameterCount; after: ParameterCount };
  /** (after − before) / before × 100. */
  changePercent: number;
}

/** What a method's plan step is given: the parent's architecture and a config to change. */
export interface PlanContext {
  arch: ArchConfig;
  /** The child's config.json being built (a copy of the parent's). */
  next: Record<string, unknown>;
  /** The object holding the text model's fields: `next`, or its text_config. */
  target: Record<string, unknown>;
  /** `text_config.` when the fields live there, else ''. */
  text: string;
  /** Sets a field of `target`, recording the change. */
  set(field: string, to: unknown): void;
  changes: ConfigChange[];
  /** config.json's name in messages. */
  file: string;
}

/** What calibration hands the engine (src/pruning/calibrate.ts resolveRecipe). */
export interface Calibrated {
  /** ‖X_j‖₂ of each matrix's input over the calibration tokens, by tensor name (the activation criterion; Wanda without its pass). */
  inputNorms?: Record<string, Float64Array>;
  /** Minitron's importance of every query head, by layer (attention pruning's activation criterion: src/calibration/headActivations.ts). */
  headScores?: Float64Array[];
  /** Minitron's importance of every hidden channel (hidden-channel pruning's activation criterion: src/calibration/hiddenActivations.ts). */
  hiddenScores?: Float64Array;
  /** New FP32 values of tensors the calibration pass computed (SparseGPT's updates, the stand-in's down_proj). */
  weights?: Map<string, Float32Array>;
  /** New bytes (in the checkpoint's dtype) of tensors the calibration pass computed, one file each (Wanda's pruned projections). */
  tensorFiles?: Record<string, string>;
  /** Least-squares refit of width pruning: the Gram matrix files of each down_proj's input (fit and held-out tokens). */
  gramFiles?: RefitGrams;
  /** The linear stand-in: which spans kept their map, by the held-out check (src/pruning/heldOut.ts). */
  reconstruction?: HeldOutReport;
}

export interface ResolvedRecipe extends Calibrated {
  recipe: Recipe;
}

/** What a method's calibration step is given: where to work, how to report, and the engine (which imports the methods). */
export interface CalibrationContext extends CalibrationOptions {
  tmp: string;
  /** Writes the parent pruned by `recipe` to the new folder `out` (perplexity with a block removed). */
  pruneTo(out: string, recipe: Recipe): Promise<unknown>;
}

export interface PruneProgress {
  stage: 'hashing' | 'counting' | 'scoring' | 'writing' | 'copying';
  /** 0..1 within the whole run. */
  progress: number;
  detail?: string;
}

/** One tensor of the child: where its bytes come from and how they change. */
export interface Output extends TensorSpec {
  source: string;
  transform?: (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;
}

/** What a method's output step is given. */
export interface OutputContext {
  ckpt: CheckpointTensors;
  infos: TensorInfo[];
  /** The parent's tensor name prefix (`model.`, `model.language_model.` …). */
  prefix: string;
  /** Matches `<prefix>layers.<n>.<rest>`. */
  layerRe: RegExp;
  /** The tensor copied as it is. */
  same(t: TensorInfo): Output;
  calibrated: Calibrated;
  report(p: PruneProgress): void;
  signal?: AbortSignal;
}

export interface PlannedOutputs {
  tensors: Output[];
  /** After writing: which layers kept a refit or stand-in, and the held-out errors that decided it. */
  reconstruction?: () => HeldOutReport | undefined;
}

/** How a card states a recipe: the method, its criterion and how much it removed. */
export interface CardText {
  method: string;
  criterion: string;
  ratio: string;
}

/**
 * One pruning method. `S` is what its plan adds to the common figures (with `method` and
 * `recipe`); `P` is what it prepares before planning, from data (vocab's counted corpus).
 */
export interface PruningMethod<M extends Method = Method, S extends { method: M } = { method: M }, P = never> {
  method: M;
  relation: PruningRelation;
  /** It also applies to encoders and encoder–decoders (only decoder blocks are pruned otherwise). */
  encoders?: boolean;
  /** The recipe reads calibration activations when it runs. */
  needsCalibration(recipe: Extract<Recipe, { method: M }>): boolean;
  /** Runs the calibration the recipe needs and returns the explicit recipe the engine runs, with what it measured. */
  calibrate?(dir: string, recipe: Extract<Recipe, { method: M }>, o: CalibrationContext): Promise<ResolvedRecipe>;
  /** What `bonsai plan` says while `prepare` runs. */
  preparing?: string;
  /**
   * Reads the data the plan depends on before any weight is read (vocab counts its corpus);
   * `cacheDir`: where what it derives may be kept for the next run (a job's ONNX cache folder).
   */
  prepare?(
    dir: string,
    config: Record<string, unknown>,
    recipe: Extract<Recipe, { method: M }>,
    onProgress?: (f: number) => void,
    cacheDir?: string,
  ): P;
  /** What the child will be: the config fields it changes and the method's own figures. */
  plan(ctx: PlanContext, recipe: Extract<Recipe, { method: M }>, prepared?: P): Omit<S, 'method'>;
  /** What goes is decided when the job runs (blocks by calibration, vocabulary by corpus). */
  decidedWhenRun?(plan: S): boolean;
  /** The child's tensors: each from a parent tensor, as it is or transformed. */
  outputs(ctx: OutputContext, plan: PlanBase & S): Promise<PlannedOutputs>;
  /** The values left non-zero in what it changed are counted (sparsity: the real sparsity). */
  countsNonZero?: boolean;
  /** The method's entries in bonsai_recipe.json's result. */
  result?(plan: PlanBase & S, written: { nonZero?: number }): Record<string, unknown>;
  /** Files beside the weights (vocab: the trimmed tokenizer). */
  writeFiles?(parentDir: string, outDir: string, plan: PlanBase & S): Promise<void>;
  /** The end of a child's default name, after the parent's: `width40-maw`, `depth-last2`. */
  childNameSuffix(recipe: Extract<Recipe, { method: M }>): string;
  /** The tag a card's front matter gives a child made this way (the Hub's search facet). */
  hubTag: string;
  /** The card's words for a recorded recipe (a JSON object from the lineage, possibly from an older version). */
  card(recipe: Record<string, unknown>): CardText;
  /** The card's limitations of a child made this way. */
  limitations: readonly string[];
  /** Fields calibration fills in from the request, left out of the card's reproduce command (depth's chosen layers). */
  resolvedFields?(recipe: Record<string, unknown>): string[];
  /** `bonsai plan`'s lines about the method's own figures. */
  summary(plan: PlanBase & S, format: { int(n: number): string }): string[];
}

/** The card's limitation of every method that removes or zeroes weights without retraining. */
export const ONE_SHOT =
  '- Pruned in one shot, without retraining: such models usually need recovery fine-tuning (or distillation) before use. Fine-tune elsewhere and register the result with this model as its parent.';
