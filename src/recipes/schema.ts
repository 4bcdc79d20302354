// Pruning recipes, defined once: each method's fields with their bounds, defaults and
// descriptions, and which fields name data files. Everything else derives from these schemas
// (src/recipes/fields.ts): the CLI flags and their help, the GraphQL input and output types, the
// card's reproduce command, the catalog's spawn form. Problems name their field (the API reports
// BAD_USER_INPUT, the CLI names the flag: src/pruning/recipe.ts parseRecipe). This module imports
// only zod and the config bounds (src/arch/limits.ts, which imports nothing), so the catalog
// bundles it too.
import * as z from 'zod';
import { MAX_DIMENSION, MAX_LAYERS } from '../arch/limits.js';

export const WIDTH_CRITERIA = ['maw', 'vow', 'pon', 'l2', 'activation'] as const;
export type WidthCriterion = (typeof WIDTH_CRITERIA)[number];
export const DEPTH_CRITERIA = ['block-influence', 'perplexity'] as const;
export const SPARSITY_CRITERIA = ['magnitude', 'wanda', 'sparsegpt'] as const;
/** How unstructured sparsity is spread over the decoder layers: the same everywhere, or by OWL (Yin et al. 2023). */
export const SPARSITY_ALLOCATIONS = ['uniform', 'owl'] as const;
export const RECONSTRUCTIONS = ['none', 'least-squares'] as const;
/** Depth: nothing, or a linear map in place of each removed span (ReplaceMe, Shopkhoev et al. 2025). */
export const DEPTH_RECONSTRUCTIONS = ['none', 'linear'] as const;
/** How a corpus is tokenised for vocabulary trimming. */
export const CORPUS_UNITS = ['document', 'line'] as const;
/** What attention pruning removes: whole key/value groups (a KV head with its query heads), or query heads from every group. */
export const ATTENTION_UNITS = ['query-group', 'query-head'] as const;
export const ATTENTION_CRITERIA = ['magnitude', 'activation'] as const;
/** How hidden (embedding) channels are ranked: the weights a channel owns, or Minitron's activation importance. */
export const HIDDEN_CRITERIA = ['magnitude', 'activation'] as const;
export type CorpusUnit = (typeof CORPUS_UNITS)[number];

/**
 * Field metadata beyond JSON Schema: `path` marks a field naming data files on the server (the
 * one mark that spawn, the worker and the CLI confine and stage: src/recipes/dataFiles.ts).
 */
export interface FieldMeta {
  description: string;
  path?: boolean;
}
const meta = (description: string, extra: Omit<FieldMeta, 'description'> = {}) => ({ description, ...extra });

/**
 * Every size-like field is bounded here, before anything proportional to it is allocated: a list
 * of layers by the most a config may state, a file name by Linux's PATH_MAX, the corpus by a
 * count no real trimming needs (the trimming seed's corpora are one to a few files per language).
 */
const PATH_MAX = 4096;
export const MAX_CORPUS_FILES = 64;
/**
 * The most calibration tokens a recipe may ask for: 128 sequences of 2,048 tokens, the calibration
 * set of SparseGPT (Frantar & Alistarh 2023, §4) and Wanda (Sun et al. 2023, §4), beyond which
 * neither paper saw a gain; the calibration pass is linear in it.
 */
export const MAX_CALIBRATION_TOKENS = 128 * 2048;

const dataFile = (problem: string) => z.string().min(1, problem).max(PATH_MAX, `must be at most ${PATH_MAX} characters (PATH_MAX)`);

/** Calibration text for the data-driven criteria: a file and how many of its tokens to use. */
const calibration = (usedBy: string) =>
  dataFile('must name a text file').meta(meta(`Calibration text (a file under BONSAI_MODEL_ROOTS) for ${usedBy}.`, { path: true }));
/**
 * Defaults of the calibration fields. They are applied where a recipe uses them (samplesOf,
 * dampeningOf), not as JSON Schema defaults: a recipe that runs no calibration records neither,
 * and the GraphQL inputs derived from the schema must not fill them in.
 */
export const DEFAULT_SAMPLES = 2048;
/** SparseGPT's percdamp (IST-DASLab/sparsegpt, llm-compressor's SparseGPTModifier dampening_frac). */
export const DEFAULT_DAMPENING = 0.01;

/** Calibration tokens a recipe runs on: its own count, else the default. */
export const samplesOf = (r: { samples?: number }): number => r.samples ?? DEFAULT_SAMPLES;
/** λ of a calibrated solver: the recipe's, else the default. */
export const dampeningOf = (r: { dampening?: number }): number => r.dampening ?? DEFAULT_DAMPENING;

/**
 * OWL's hyperparameters as its reference runs them (luuyin/OWL README: `--Hyper_m 5 --Lamda 0.08`
 * for LLaMA at 70 %). Applied where a recipe uses them, as the calibration defaults are, so a
 * uniform recipe records neither (and its bonsai_recipe.json keeps today's bytes).
 */
export const DEFAULT_OWL_M = 5;
export const DEFAULT_OWL_LAMBDA = 0.08;
export const allocationOf = (r: { allocation?: (typeof SPARSITY_ALLOCATIONS)[number] }) => r.allocation ?? 'uniform';
export const owlMOf = (r: { owlM?: number }): number => r.owlM ?? DEFAULT_OWL_M;
export const owlLambdaOf = (r: { owlLambda?: number }): number => r.owlLambda ?? DEFAULT_OWL_LAMBDA;
/** Unstructured sparsity of decoder layer l: OWL's for that layer once allocated, else the recipe's. */
export const sparsityOfLayer = (r: { sparsity?: number; layerSparsity?: number[] }, l: number): number | undefined =>
  r.layerSparsity?.[l] ?? r.sparsity;

const samples = z
  .number({ error: 'must be a number' })
  .int('must be an integer')
  .min(64, 'must be at least 64 tokens')
  .max(
    MAX_CALIBRATION_TOKENS,
    `must be at most ${MAX_CALIBRATION_TOKENS.toLocaleString('en-US')} tokens (128 × 2,048, the papers' calibration set)`,
  )
  .optional()
  .meta(meta(`Calibration tokens to use (default ${DEFAULT_SAMPLES}, at most ${MAX_CALIBRATION_TOKENS.toLocaleString('en-US')}).`));

const fraction = z.number().min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)');

/** λ of the calibrated solvers, as a fraction of the mean diagonal of XᵀX (SparseGPT's percdamp). */
const dampening = z
  .number()
  .gt(0, 'must be in (0, 1]')
  .max(1, 'must be in (0, 1]')
  .optional()
  .meta(
    meta(
      `λ added to the diagonal of XᵀX, as a fraction of its mean (SparseGPT, the least-squares refit and the linear stand-in; default ${DEFAULT_DAMPENING}).`,
    ),
  );

/**
 * The one rule of every method's calibration fields: `calibration` is required when the settings
 * read calibration tokens (`required` says which setting, in the error's words), and refused,
 * with `samples`, when nothing reads them (`usedBy` says what would); `allowed` keeps a file that
 * no setting requires but one may use (OWL's resolved recipe). `dampening` goes only with the
 * solver that adds it.
 */
function calibrationFields(
  r: { calibration?: unknown; samples?: unknown; dampening?: unknown },
  ctx: z.RefinementCtx,
  o: { required: string | null; usedBy: string; allowed?: boolean; dampening?: { used: boolean; by: string } },
): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (o.required !== null && r.calibration === undefined) issue('calibration', `is required for ${o.required}`);
  if (o.required === null && !o.allowed) {
    if (r.calibration !== undefined) issue('calibration', `is only used by ${o.usedBy}`);
    if (r.samples !== undefined) issue('samples', `is only used with calibration (by ${o.usedBy})`);
  }
  if (o.dampening && !o.dampening.used && r.dampening !== undefined) issue('dampening', `is only used by ${o.dampening.by}`);
}

export const widthRecipe = z
  .object({
    method: z.literal('mlp-width'),
    criterion: z
      .enum(WIDTH_CRITERIA, { error: `must be one of ${WIDTH_CRITERIA.join(', ')}` })
      .default('maw')
      .meta(
        meta(
          'Neuron importance: maw (maximum absolute weight, OptiPFair), vow (variance of weights), pon (product of norms), l2, or activation (‖X_j‖₂ over calibration tokens × ‖down_proj[:, j]‖₂; needs calibration).',
        ),
      ),
    pruningFraction: fraction.optional().meta(meta('Fraction of MLP neurons to remove in every layer.')),
    /** intermediate / hidden as a percentage (OptiPFair's expansion_rate). */
    expansionRate: z
      .number()
      .positive('must be a positive percentage')
      .optional()
      .meta(meta("Target intermediate_size / hidden_size in percent (OptiPFair's expansion_rate).")),
    intermediateSize: z
      .number()
      .int('must be an integer')
      .positive('must be positive')
      .max(MAX_DIMENSION, `must be at most ${MAX_DIMENSION} (2^24)`)
      .optional()
      .meta(meta('Target intermediate_size.')),
    roundTo: z
      .union([z.literal(32), z.literal(64), z.literal(128), z.literal(256)], { error: 'must be 32, 64, 128 or 256' })
      .optional()
      .meta(meta('Round the kept neurons to a multiple of 32, 64, 128 or 256 (for tensor cores).')),
    reconstruct: z
      .enum(RECONSTRUCTIONS, { error: `must be ${RECONSTRUCTIONS.join(' or ')}` })
      .optional()
      .meta(
        meta(
          'none (default), or least-squares: refit down_proj on the kept neurons over calibration activations, W′ = argmin ‖W·X − W′·X_kept‖² + λ‖W′‖², fitted on the first three quarters of the calibration tokens and kept in a layer only where it lowers the error on the last quarter (needs calibration).',
        ),
      ),
    calibration: calibration('the activation criterion and the least-squares refit').optional(),
    samples,
    dampening,
  })
  .strict()
  .meta(
    meta(
      'Remove MLP neurons (intermediate_size) in every layer, ranked by an importance criterion. Give exactly one of pruningFraction, expansionRate, intermediateSize.',
    ),
  )
  .superRefine((r, ctx) => {
    calibrationFields(r, ctx, {
      required:
        r.criterion === 'activation' ? 'the activation criterion' : r.reconstruct === 'least-squares' ? 'the least-squares refit' : null,
      usedBy: 'the activation criterion or the least-squares refit',
      dampening: { used: r.reconstruct === 'least-squares', by: 'the least-squares refit' },
    });
    const given = [r.pruningFraction, r.expansionRate, r.intermediateSize].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['pruningFraction'],
        message: 'give exactly one of pruningFraction, expansionRate, intermediateSize',
      });
    }
  });

export const depthRecipe = z
  .object({
    method: z.literal('depth'),
    layers: z
      .array(
        z
          .number()
          .int('must be integers')
          .min(0, 'must be non-negative')
          .lt(MAX_LAYERS, `must be below ${MAX_LAYERS} (no config has more layers)`),
      )
      .min(1, 'must name at least one layer')
      .max(MAX_LAYERS, `must name at most ${MAX_LAYERS} layers`)
      .optional()
      .meta(meta('Indices of the decoder blocks to remove, e.g. [3, 4].')),
    last: z
      .number()
      .int('must be an integer')
      .positive('must be at least 1')
      .max(MAX_LAYERS, `must be at most ${MAX_LAYERS} (no config has more layers)`)
      .optional()
      .meta(meta('Remove the last N blocks.')),
    /** Data-driven: remove the `count` blocks whose removal hurts least (ShortGPT's block influence, or perplexity). */
    criterion: z
      .enum(DEPTH_CRITERIA, { error: `must be one of ${DEPTH_CRITERIA.join(', ')}` })
      .optional()
      .meta(
        meta(
          'Choose the blocks from calibration data: block-influence (ShortGPT, Men et al. 2024: 1 − cosine of a block’s input and output) or perplexity (remove each block alone and measure).',
        ),
      ),
    count: z
      .number()
      .int('must be an integer')
      .positive('must be at least 1')
      .max(MAX_LAYERS, `must be at most ${MAX_LAYERS} (no config has more layers)`)
      .optional()
      .meta(meta('With a criterion: how many blocks to remove.')),
    reconstruct: z
      .enum(DEPTH_RECONSTRUCTIONS, { error: `must be ${DEPTH_RECONSTRUCTIONS.join(' or ')}` })
      .optional()
      .meta(
        meta(
          'none (default), or linear: replace each removed span by the linear map T that best carries the MLP output of the block before it to the span’s output over calibration activations (ReplaceMe, Shopkhoev et al. 2025), folded into that block’s down_proj, so the result is still a standard checkpoint; fitted on the first three quarters of the calibration tokens and kept for a span only where it lowers the error on the last quarter (needs calibration; not for families with a norm after the MLP).',
        ),
      ),
    calibration: calibration('block-influence, perplexity and the linear stand-in').optional(),
    samples,
    dampening,
    /** Calibration scores per block (filled in when the recipe is resolved, kept for the record). */
    scores: z
      .array(z.number())
      .max(MAX_LAYERS, `must have at most ${MAX_LAYERS} entries`)
      .optional()
      .meta(meta('Filled in when the job runs: the criterion’s score of every block (kept for the record).')),
  })
  .strict()
  .meta(meta('Remove whole decoder blocks: name them (layers, last) or let a calibration criterion choose count of them.'))
  .superRefine((r, ctx) => {
    if (r.criterion !== undefined) {
      if (r.count === undefined) ctx.addIssue({ code: 'custom', path: ['count'], message: `is required with criterion ${r.criterion}` });
      if (r.last !== undefined) ctx.addIssue({ code: 'custom', path: ['last'], message: 'cannot be combined with a criterion' });
      if (r.layers && r.count !== undefined && r.layers.length !== r.count)
        ctx.addIssue({ code: 'custom', path: ['layers'], message: 'must list count layers' });
    } else {
      if ((r.layers === undefined) === (r.last === undefined))
        ctx.addIssue({ code: 'custom', path: ['layers'], message: 'give exactly one of layers, last, or a criterion with count' });
      if (r.count !== undefined)
        ctx.addIssue({ code: 'custom', path: ['criterion'], message: 'count needs a criterion (block-influence or perplexity)' });
    }
    if (r.layers && new Set(r.layers).size !== r.layers.length)
      ctx.addIssue({ code: 'custom', path: ['layers'], message: 'must not repeat a layer' });
    calibrationFields(r, ctx, {
      required: r.criterion !== undefined ? `criterion ${r.criterion}` : r.reconstruct === 'linear' ? 'the linear stand-in' : null,
      usedBy: 'a criterion or the linear stand-in',
      dampening: { used: r.reconstruct === 'linear', by: 'the linear stand-in' },
    });
  });

export const sparsityRecipe = z
  .object({
    method: z.literal('sparsity'),
    /** magnitude |W|; Wanda |W|·‖X‖ with X the layer's input; SparseGPT's OBS reconstruction. */
    criterion: z
      .enum(SPARSITY_CRITERIA, { error: 'must be magnitude, wanda or sparsegpt' })
      .default('magnitude')
      .meta(
        meta(
          'magnitude (|W|), wanda (|W|·‖X‖₂ with X the layer’s input, Sun et al. 2023) or sparsegpt (mask and optimal-brain-surgeon update of the remaining weights from XᵀX, layer by layer on the already-pruned model, Frantar & Alistarh 2023); wanda and sparsegpt need calibration.',
        ),
      ),
    calibration: calibration('Wanda and SparseGPT').optional(),
    samples,
    dampening,
    /** "unstructured", or "N:M": in every group of M consecutive inputs, zero the N smallest. */
    pattern: z
      .string()
      .regex(/^(unstructured|\d+:\d+)$/, 'must be "unstructured" or "N:M" such as "2:4"')
      .default('unstructured')
      .meta(meta('unstructured, or N:M such as 2:4 (in every group of M consecutive inputs, zero the N least important).')),
    sparsity: fraction.optional().meta(meta('Unstructured: fraction of the projection weights to zero.')),
    scope: z
      .enum(['per-matrix', 'global'], { error: 'must be per-matrix or global' })
      .default('per-matrix')
      .meta(meta('Unstructured magnitude: rank weights within each matrix (per-matrix) or across all of them (global).')),
    allocation: z
      .enum(SPARSITY_ALLOCATIONS, { error: `must be one of ${SPARSITY_ALLOCATIONS.join(', ')}` })
      .optional()
      .meta(
        meta(
          'Unstructured: uniform (default: every decoder layer at sparsity) or owl (Outlier-Weighed Layerwise sparsity, Yin et al. 2023: a layer with a larger share of outlier Wanda scores |W|·‖X‖₂ keeps more weights; the layers average sparsity, each within ±owlLambda of it; needs calibration, also with magnitude).',
        ),
      ),
    owlM: z
      .number()
      .gt(0, 'must be greater than 0')
      .max(1e6, 'must be at most 1000000')
      .optional()
      .meta(meta(`OWL: a score is an outlier above owlM × its layer's mean score (default ${DEFAULT_OWL_M}).`)),
    owlLambda: z
      .number()
      .min(0, 'must be at least 0')
      .lt(0.5, 'must be less than 0.5')
      .optional()
      .meta(
        meta(
          `OWL: every layer's sparsity lies within ±owlLambda of sparsity (default ${DEFAULT_OWL_LAMBDA}; the reference's min-max spread of 2·owlLambda, narrowed where a layer would lie further out).`,
        ),
      ),
    /** Filled in by OWL's calibration pass (src/pruning/owl.ts), kept for the record and planned from. */
    layerSparsity: z
      .array(fraction)
      .max(MAX_LAYERS, `must have at most ${MAX_LAYERS} entries`)
      .optional()
      .meta(meta('Filled in when the job runs (OWL): the sparsity of every decoder layer, in order.')),
  })
  .strict()
  .meta(meta('Zero individual weights of the attention and MLP projections (stored dense).'))
  .superRefine((r, ctx) => {
    const who = r.criterion === 'wanda' ? 'Wanda' : r.criterion === 'sparsegpt' ? 'SparseGPT' : null;
    // OWL's own need of calibration (none once its layers are resolved) is owlProblems'.
    calibrationFields(r, ctx, {
      required: who,
      usedBy: 'wanda, sparsegpt and allocation owl',
      allowed: r.allocation === 'owl',
      dampening: { used: r.criterion === 'sparsegpt', by: 'sparsegpt' },
    });
    if (who && r.scope === 'global')
      ctx.addIssue({ code: 'custom', path: ['scope'], message: `${who} prunes each matrix on its own, not globally` });
    owlProblems(r, ctx);
    if (r.pattern === 'unstructured') {
      if (r.sparsity === undefined) ctx.addIssue({ code: 'custom', path: ['sparsity'], message: 'is required for unstructured sparsity' });
      return;
    }
    if (r.allocation === 'owl')
      ctx.addIssue({
        code: 'custom',
        path: ['allocation'],
        message: `owl sets an unstructured sparsity per layer; an N:M pattern (${r.pattern}) is the same N of every M in every layer`,
      });
    const [n, m] = r.pattern.split(':').map(Number) as [number, number];
    if (n >= m || n < 1) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `N:M needs 1 ≤ N < M (got ${r.pattern})` });
    if (r.sparsity !== undefined)
      ctx.addIssue({ code: 'custom', path: ['sparsity'], message: 'is implied by an N:M pattern; leave it out' });
    if (r.scope === 'global') ctx.addIssue({ code: 'custom', path: ['scope'], message: 'N:M sparsity is always per group, not global' });
  });

/**
 * OWL's fields. Every layer's sparsity lies within target ± λ (the paper's bound, kept by
 * src/pruning/owl.ts), so λ must keep that interval inside [0, 1).
 */
function owlProblems(
  r: {
    allocation?: string;
    owlM?: number;
    owlLambda?: number;
    layerSparsity?: number[];
    sparsity?: number;
    scope?: string;
    calibration?: string;
  },
  ctx: z.RefinementCtx,
): void {
  if (r.allocation !== 'owl') {
    for (const field of ['owlM', 'owlLambda', 'layerSparsity'] as const)
      if (r[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is only used by allocation owl' });
    return;
  }
  if (r.scope === 'global')
    ctx.addIssue({ code: 'custom', path: ['scope'], message: 'owl gives every layer its own sparsity; a global threshold would undo it' });
  if (r.calibration === undefined && r.layerSparsity === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['calibration'],
      message: 'is required for allocation owl (its outlier ratios are of |W|·‖X‖₂ over calibration tokens)',
    });
  if (r.sparsity === undefined) return;
  const lambda = owlLambdaOf(r);
  if (r.sparsity - lambda < 0 || r.sparsity + lambda >= 1) {
    const most = r.sparsity < 1 - r.sparsity ? `at most ${r.sparsity}` : `below ${Number((1 - r.sparsity).toPrecision(6))}`;
    ctx.addIssue({
      code: 'custom',
      path: ['owlLambda'],
      message: `${r.owlLambda === undefined ? `the default ${lambda}` : lambda} is too large for sparsity ${r.sparsity}: a layer may lie up to owlLambda from it, outside [0, 1) (owlLambda must be ${most})`,
    });
  }
  if (r.layerSparsity?.length) {
    const mean = r.layerSparsity.reduce((a, b) => a + b, 0) / r.layerSparsity.length;
    if (Math.abs(mean - r.sparsity) > 1e-9)
      ctx.addIssue({ code: 'custom', path: ['layerSparsity'], message: `must average sparsity ${r.sparsity} (averages ${mean})` });
  }
}

export const vocabRecipe = z
  .object({
    method: z.literal('vocab'),
    /** Text files tokenised with the model's own tokenizer; the tokens they use are kept. */
    corpus: z
      .array(dataFile('must name a text file'))
      .min(1, 'name at least one corpus file')
      .max(MAX_CORPUS_FILES, `name at most ${MAX_CORPUS_FILES} corpus files`)
      .refine((files) => new Set(files).size === files.length, 'must not name a file twice')
      .meta(
        meta('Text files (under BONSAI_MODEL_ROOTS) tokenised with the model’s tokenizer; the tokens they use are kept.', { path: true }),
      ),
    minFrequency: z
      .number()
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .default(1)
      .meta(meta('Drop corpus tokens seen fewer times than this.')),
    /** At most this many corpus tokens, the most frequent; special, added and byte tokens come on top. */
    vocabSize: z
      .number()
      .int('must be an integer')
      .positive('must be positive')
      .max(MAX_DIMENSION, `must be at most ${MAX_DIMENSION} (2^24)`)
      .optional()
      .meta(meta('Keep at most this many corpus tokens, the most frequent (special, added and byte tokens come on top).')),
    roundTo: z
      .number()
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(1024, 'must be at most 1024')
      .default(64)
      .meta(meta('Pad the new vocabulary size to a multiple of this.')),
    /** document: each corpus file tokenised whole (tokens across line breaks count); line: each line alone. */
    unit: z
      .enum(CORPUS_UNITS, { error: `must be ${CORPUS_UNITS.join(' or ')}` })
      .default('document')
      .meta(meta('document: each corpus file tokenised whole (tokens across line breaks count); line: each line alone.')),
  })
  .strict()
  .meta(
    meta(
      'Trim the vocabulary (embedding and lm_head rows, tokenizer) to the tokens a corpus uses; corpus text tokenises exactly as before.',
    ),
  );

export const attentionRecipe = z
  .object({
    method: z.literal('attention'),
    unit: z
      .enum(ATTENTION_UNITS, { error: `must be ${ATTENTION_UNITS.join(' or ')}` })
      .default('query-group')
      .meta(
        meta(
          'query-group: remove whole key/value groups (a KV head with all its query heads); query-head: remove the same number of query heads from every group (grouped-query attention stays valid).',
        ),
      ),
    criterion: z
      .enum(ATTENTION_CRITERIA, { error: `must be ${ATTENTION_CRITERIA.join(' or ')}` })
      .default('magnitude')
      .meta(
        meta(
          'Head importance: magnitude (L2 norm of the weights the head owns: its q/k/v_proj rows and o_proj columns), or activation (Minitron, Muralidharan et al. 2024 §2.2: L2 norm of the head’s attention output before o_proj, mean over each sequence, L2 over sequences; needs calibration).',
        ),
      ),
    pruningFraction: fraction
      .optional()
      .meta(
        meta('Fraction of the key/value groups (query-group) or of the query heads of each group (query-head) to remove in every layer.'),
      ),
    numAttentionHeads: z
      .number()
      .int('must be an integer')
      .positive('must be positive')
      .max(MAX_DIMENSION, `must be at most ${MAX_DIMENSION} (2^24)`)
      .optional()
      .meta(meta('Target num_attention_heads (a multiple of the heads per group for query-group, of the groups for query-head).')),
    numKeyValueHeads: z
      .number()
      .int('must be an integer')
      .positive('must be positive')
      .max(MAX_DIMENSION, `must be at most ${MAX_DIMENSION} (2^24)`)
      .optional()
      .meta(meta('Target num_key_value_heads (query-group only).')),
    reconstruct: z
      .enum(RECONSTRUCTIONS, { error: `must be ${RECONSTRUCTIONS.join(' or ')}` })
      .optional()
      .meta(
        meta(
          'none (default), or least-squares: refit o_proj on the kept heads over calibration activations, W′ = argmin ‖W·X − W′·X_kept‖² + λ‖W′‖², fitted on the first three quarters of the calibration tokens and kept in a layer only where it lowers the error on the last quarter (needs calibration).',
        ),
      ),
    calibration: calibration('the activation criterion and the least-squares refit').optional(),
    samples,
    dampening,
  })
  .strict()
  .meta(
    meta(
      'Remove attention heads in every layer, each layer its own: whole key/value groups or query heads within every group, ranked by an importance criterion. Give exactly one of pruningFraction, numAttentionHeads, numKeyValueHeads.',
    ),
  )
  .superRefine((r, ctx) => {
    calibrationFields(r, ctx, {
      required:
        r.criterion === 'activation' ? 'the activation criterion' : r.reconstruct === 'least-squares' ? 'the least-squares refit' : null,
      usedBy: 'the activation criterion or the least-squares refit',
      dampening: { used: r.reconstruct === 'least-squares', by: 'the least-squares refit' },
    });
    const given = [r.pruningFraction, r.numAttentionHeads, r.numKeyValueHeads].filter((v) => v !== undefined).length;
    if (given !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['pruningFraction'],
        message: 'give exactly one of pruningFraction, numAttentionHeads, numKeyValueHeads',
      });
    if (r.unit === 'query-head' && r.numKeyValueHeads !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['numKeyValueHeads'],
        message: 'query-head pruning keeps every key/value group; use numAttentionHeads or unit query-group',
      });
  });

export const hiddenRecipe = z
  .object({
    method: z.literal('hidden'),
    criterion: z
      .enum(HIDDEN_CRITERIA, { error: `must be ${HIDDEN_CRITERIA.join(' or ')}` })
      .default('magnitude')
      .meta(
        meta(
          'Channel importance: magnitude (L2 norm of every weight the channel owns: its embedding and lm_head columns, q/k/v/gate/up_proj columns and o/down_proj rows), or activation (Minitron, Muralidharan et al. 2024 §2.2: the channel’s magnitude at the output of every RMSNorm that feeds a block, mean over each sequence, L2 over sequences, summed over the norms; needs calibration).',
        ),
      ),
    pruningFraction: fraction
      .optional()
      .meta(meta('Fraction of the hidden (embedding) channels to remove from the whole residual stream.')),
    hiddenSize: z
      .number()
      .int('must be an integer')
      .positive('must be positive')
      .max(MAX_DIMENSION, `must be at most ${MAX_DIMENSION} (2^24)`)
      .optional()
      .meta(meta('Target hidden_size.')),
    calibration: calibration('the activation criterion').optional(),
    samples,
  })
  .strict()
  .meta(
    meta(
      'Remove hidden (embedding) channels from the whole residual stream: embedding columns, every norm over hidden, the projections’ hidden side and lm_head. RMSNorm then averages over fewer channels, which changes every layer’s normalisation: the child needs recovery (distillation) more than after other methods. Give exactly one of pruningFraction, hiddenSize.',
    ),
  )
  .superRefine((r, ctx) => {
    calibrationFields(r, ctx, {
      required: r.criterion === 'activation' ? 'the activation criterion' : null,
      usedBy: 'the activation criterion',
    });
    if ([r.pruningFraction, r.hiddenSize].filter((v) => v !== undefined).length !== 1)
      ctx.addIssue({ code: 'custom', path: ['pruningFraction'], message: 'give exactly one of pruningFraction, hiddenSize' });
  });

/** Every method's schema, in the order the CLI, the API and the catalog list them. */
export const METHOD_SCHEMAS = [widthRecipe, depthRecipe, sparsityRecipe, vocabRecipe, attentionRecipe, hiddenRecipe] as const;

export const recipeSchema = z.discriminatedUnion(
  'method',
  [widthRecipe, depthRecipe, sparsityRecipe, vocabRecipe, attentionRecipe, hiddenRecipe],
  { error: 'method must be one of mlp-width, depth, sparsity, vocab, attention, hidden' },
);

export type WidthRecipe = z.infer<typeof widthRecipe>;
export type DepthRecipe = z.infer<typeof depthRecipe>;
export type SparsityRecipe = z.infer<typeof sparsityRecipe>;
export type VocabRecipe = z.infer<typeof vocabRecipe>;
export type AttentionRecipe = z.infer<typeof attentionRecipe>;
export type HiddenRecipe = z.infer<typeof hiddenRecipe>;
export type Recipe = z.infer<typeof recipeSchema>;
export type Method = Recipe['method'];

export interface RecipeProblem {
  /** The field's path inside the recipe, e.g. ['layers', 0]. */
  path: Array<string | number>;
  message: string;
}

/** All problems of a recipe (empty when valid). */
export function recipeProblems(input: unknown): { recipe?: Recipe; problems: RecipeProblem[] } {
  const r = recipeSchema.safeParse(input);
  if (r.success) return { recipe: r.data, problems: [] };
  const method = typeof input === 'object' && input !== null ? (input as { method?: unknown }).method : undefined;
  return {
    problems: r.error.issues.flatMap((i) =>
      // One problem per unknown field, named by that field.
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({
            path: [...(i.path as Array<string | number>), k],
            message: `is not a field of the ${String(method)} method`,
          }))
        : [{ path: i.path as Array<string | number>, message: i.message }],
    ),
  };
}

export function nmPattern(pattern: string): { n: number; m: number } | null {
  if (pattern === 'unstructured') return null;
  const [n, m] = pattern.split(':').map(Number) as [number, number];
  return { n, m };
}
