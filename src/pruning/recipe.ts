// Pruning recipes: what a user asks for, validated before any file is written. Each problem
// names its field (the API reports it as BAD_USER_INPUT, the CLI as an error).
import { z } from 'zod';
import { BadInputError } from '../errors.js';
import { CORPUS_UNITS } from '../vocab/select.js';

export const WIDTH_CRITERIA = ['maw', 'vow', 'pon', 'l2', 'activation'] as const;
export type WidthCriterion = (typeof WIDTH_CRITERIA)[number];

/** Calibration text for the data-driven criteria: a file and how many of its tokens to use. */
const calibration = z.string().min(1, 'must name a text file');
const samples = z.number().int('must be an integer').min(64, 'must be at least 64 tokens').max(1_000_000).optional();

const fraction = z.number().min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)');

export const widthRecipe = z
  .object({
    method: z.literal('mlp-width'),
    criterion: z.enum(WIDTH_CRITERIA, { error: `must be one of ${WIDTH_CRITERIA.join(', ')}` }).default('maw'),
    pruningFraction: fraction.optional(),
    /** intermediate / hidden as a percentage (OptiPFair's expansion_rate). */
    expansionRate: z.number().positive('must be a positive percentage').optional(),
    intermediateSize: z.number().int('must be an integer').positive('must be positive').optional(),
    roundTo: z.union([z.literal(32), z.literal(64), z.literal(128), z.literal(256)], { error: 'must be 32, 64, 128 or 256' }).optional(),
    /** criterion activation: ‖X_j‖₂ of each neuron over these calibration tokens × ‖down_proj[:, j]‖₂. */
    calibration: calibration.optional(),
    samples,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.criterion === 'activation' && r.calibration === undefined)
      ctx.addIssue({ code: 'custom', path: ['calibration'], message: 'is required for the activation criterion' });
    if (r.criterion !== 'activation' && r.calibration !== undefined)
      ctx.addIssue({ code: 'custom', path: ['calibration'], message: `is only used by the activation criterion (not ${r.criterion})` });
    const given = [r.pruningFraction, r.expansionRate, r.intermediateSize].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['pruningFraction'],
        message: 'give exactly one of pruningFraction, expansionRate, intermediateSize',
      });
    }
  });

export const DEPTH_CRITERIA = ['block-influence', 'perplexity'] as const;

export const depthRecipe = z
  .object({
    method: z.literal('depth'),
    layers: z.array(z.number().int('must be integers').min(0, 'must be non-negative')).min(1, 'must name at least one layer').optional(),
    last: z.number().int('must be an integer').positive('must be at least 1').optional(),
    /** Data-driven: remove the `count` blocks whose removal hurts least (ShortGPT's block influence, or perplexity). */
    criterion: z.enum(DEPTH_CRITERIA, { error: `must be one of ${DEPTH_CRITERIA.join(', ')}` }).optional(),
    count: z.number().int('must be an integer').positive('must be at least 1').optional(),
    calibration: calibration.optional(),
    samples,
    /** Calibration scores per block (filled in when the recipe is resolved, kept for the record). */
    scores: z.array(z.number()).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.criterion !== undefined) {
      if (r.count === undefined) ctx.addIssue({ code: 'custom', path: ['count'], message: `is required with criterion ${r.criterion}` });
      if (r.calibration === undefined)
        ctx.addIssue({ code: 'custom', path: ['calibration'], message: `is required with criterion ${r.criterion}` });
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
  });

export const sparsityRecipe = z
  .object({
    method: z.literal('sparsity'),
    /** magnitude |W|, or Wanda |W|·‖X‖ with X the layer's input over calibration tokens. */
    criterion: z.enum(['magnitude', 'wanda'], { error: 'must be magnitude or wanda' }).default('magnitude'),
    calibration: calibration.optional(),
    samples,
    /** "unstructured", or "N:M": in every group of M consecutive inputs, zero the N smallest. */
    pattern: z
      .string()
      .regex(/^(unstructured|\d+:\d+)$/, 'must be "unstructured" or "N:M" such as "2:4"')
      .default('unstructured'),
    sparsity: fraction.optional(),
    scope: z.enum(['per-matrix', 'global'], { error: 'must be per-matrix or global' }).default('per-matrix'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.criterion === 'wanda') {
      if (r.calibration === undefined) ctx.addIssue({ code: 'custom', path: ['calibration'], message: 'is required for Wanda' });
      if (r.scope === 'global')
        ctx.addIssue({ code: 'custom', path: ['scope'], message: 'Wanda compares weights within each output row, not globally' });
    }
    if (r.pattern === 'unstructured') {
      if (r.sparsity === undefined) ctx.addIssue({ code: 'custom', path: ['sparsity'], message: 'is required for unstructured sparsity' });
      return;
    }
    const [n, m] = r.pattern.split(':').map(Number) as [number, number];
    if (n >= m || n < 1) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `N:M needs 1 ≤ N < M (got ${r.pattern})` });
    if (r.sparsity !== undefined)
      ctx.addIssue({ code: 'custom', path: ['sparsity'], message: 'is implied by an N:M pattern; leave it out' });
    if (r.scope === 'global') ctx.addIssue({ code: 'custom', path: ['scope'], message: 'N:M sparsity is always per group, not global' });
  });

export const vocabRecipe = z
  .object({
    method: z.literal('vocab'),
    /** Text files tokenised with the model's own tokenizer; the tokens they use are kept. */
    corpus: z.array(z.string().min(1, 'must name a text file')).min(1, 'name at least one corpus file'),
    minFrequency: z.number().int('must be an integer').min(1, 'must be at least 1').default(1),
    /** At most this many corpus tokens, the most frequent; special, added and byte tokens come on top. */
    vocabSize: z.number().int('must be an integer').positive('must be positive').optional(),
    roundTo: z.number().int('must be an integer').min(1, 'must be at least 1').max(1024, 'must be at most 1024').default(64),
    /** document: each corpus file tokenised whole (tokens across line breaks count); line: each line alone. */
    unit: z.enum(CORPUS_UNITS, { error: `must be ${CORPUS_UNITS.join(' or ')}` }).default('document'),
  })
  .strict();

export const recipeSchema = z.discriminatedUnion('method', [widthRecipe, depthRecipe, sparsityRecipe, vocabRecipe], {
  error: 'method must be one of mlp-width, depth, sparsity, vocab',
});

export type WidthRecipe = z.infer<typeof widthRecipe>;
export type DepthRecipe = z.infer<typeof depthRecipe>;
export type SparsityRecipe = z.infer<typeof sparsityRecipe>;
export type VocabRecipe = z.infer<typeof vocabRecipe>;
export type Recipe = z.infer<typeof recipeSchema>;

/** Validates a recipe, throwing BadInputError naming the first bad field (all problems in details). */
export function parseRecipe(input: unknown, fieldPrefix = 'recipe'): Recipe {
  const r = recipeSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ field: [fieldPrefix, ...i.path].join('.'), message: i.message }));
  const first = problems[0]!;
  throw new BadInputError(first.field, first.message, { problems });
}

export function nmPattern(pattern: string): { n: number; m: number } | null {
  if (pattern === 'unstructured') return null;
  const [n, m] = pattern.split(':').map(Number) as [number, number];
  return { n, m };
}

/** The lineage relation a recipe's child has to its parent (the registry's Relation enum). */
export const RELATION_OF_METHOD = {
  'mlp-width': 'WIDTH_PRUNED',
  depth: 'DEPTH_PRUNED',
  sparsity: 'SPARSIFIED',
  vocab: 'VOCAB_TRIMMED',
} as const satisfies Record<Recipe['method'], string>;

/** Recipes whose criterion needs calibration activations (the evaluation engine resolves them). */
export function needsCalibration(r: Recipe): boolean {
  return (
    (r.method === 'depth' && r.criterion !== undefined && r.layers === undefined) ||
    (r.method === 'sparsity' && r.criterion === 'wanda') ||
    (r.method === 'mlp-width' && r.criterion === 'activation')
  );
}
