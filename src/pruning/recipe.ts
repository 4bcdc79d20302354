// Pruning recipes: what a user asks for, validated before any file is written. Each problem
// names its field (the API reports it as BAD_USER_INPUT, the CLI as an error).
import { z } from 'zod';
import { BadInputError } from '../errors.js';

export const WIDTH_CRITERIA = ['maw', 'vow', 'pon', 'l2'] as const;
export type WidthCriterion = (typeof WIDTH_CRITERIA)[number];

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
  })
  .strict()
  .superRefine((r, ctx) => {
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
    layers: z.array(z.number().int('must be integers').min(0, 'must be non-negative')).min(1, 'must name at least one layer').optional(),
    last: z.number().int('must be an integer').positive('must be at least 1').optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.layers === undefined) === (r.last === undefined))
      ctx.addIssue({ code: 'custom', path: ['layers'], message: 'give exactly one of layers, last' });
    if (r.layers && new Set(r.layers).size !== r.layers.length)
      ctx.addIssue({ code: 'custom', path: ['layers'], message: 'must not repeat a layer' });
  });

export const sparsityRecipe = z
  .object({
    method: z.literal('sparsity'),
    criterion: z
      .literal('magnitude', { error: 'must be magnitude (Wanda needs calibration activations: see the evaluation engine)' })
      .default('magnitude'),
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

export const recipeSchema = z.discriminatedUnion('method', [widthRecipe, depthRecipe, sparsityRecipe], {
  error: 'method must be one of mlp-width, depth, sparsity',
});

export type WidthRecipe = z.infer<typeof widthRecipe>;
export type DepthRecipe = z.infer<typeof depthRecipe>;
export type SparsityRecipe = z.infer<typeof sparsityRecipe>;
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
