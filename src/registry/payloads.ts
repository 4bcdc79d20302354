// Job payloads: zod schemas checked when a job is enqueued and again when a worker runs it
// (graphql-hive's workflows kit), so a row edited by hand or written by an older version fails
// with a message instead of a crash half-way.
import * as z from 'zod';
import { BadInputError } from '../errors.js';
import { recipeSchema } from '../pruning/recipe.js';

export const EVAL_TASKS = ['perplexity', 'lambada', 'multiple-choice', 'speed', 'embedding-similarity'] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

/** Tokens per evaluation window: the API and `bonsai eval --context-length` take the same range. */
export const EVAL_CONTEXT_LENGTH = [8, 131_072] as const;

export const evaluationRequest = z
  .object({
    task: z.enum(EVAL_TASKS, { error: `must be one of ${EVAL_TASKS.join(', ')}` }).meta({
      description:
        'perplexity (rolling windows, lm-evaluation-harness style), lambada (last-word accuracy), multiple-choice (log-likelihood of each choice), speed (prefill tokens/s and per-token latency), or embedding-similarity (an encoder against its parent: cosine of pooled sentence embeddings per line, masked-LM logits at kept ids).',
    }),
    /** A data file inside BONSAI_MODEL_ROOTS (text for perplexity, JSONL for lambada and multiple-choice). */
    data: z.string().min(1).optional().meta({
      description:
        'A data file under BONSAI_MODEL_ROOTS: text for perplexity and embedding-similarity (one sentence per line), JSONL for lambada and multiple-choice; not used by speed.',
      path: true,
    }),
    contextLength: z
      .number()
      .int()
      .min(EVAL_CONTEXT_LENGTH[0])
      .max(EVAL_CONTEXT_LENGTH[1])
      .optional()
      .meta({ description: 'Tokens per window (perplexity: default 256) or per prompt (speed).' }),
    stride: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Perplexity: tokens between window starts, at most contextLength (default: contextLength, disjoint windows).' }),
    limit: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Score at most this many examples (lambada, multiple-choice) or lines (embedding-similarity).' }),
  })
  .strict()
  .meta({ description: 'One evaluation to run.' })
  .superRefine((r, ctx) => {
    if (r.task !== 'speed' && r.data === undefined) ctx.addIssue({ code: 'custom', path: ['data'], message: `is required for ${r.task}` });
  });
export type EvaluationRequest = z.infer<typeof evaluationRequest>;

export const prunePayload = z.object({
  parentId: z.uuid(),
  /** The parent's revision the child is made from (absent in jobs queued before revisions). */
  parentRevision: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
  recipe: recipeSchema,
  evaluate: z.array(evaluationRequest).default([]),
});
export type PrunePayload = z.infer<typeof prunePayload>;

export const evaluatePayload = z.object({ request: evaluationRequest });
export type EvaluatePayload = z.infer<typeof evaluatePayload>;

export const exportOnnxPayload = z.object({});

export const payloadSchemas = {
  PRUNE: prunePayload,
  EVALUATE: evaluatePayload,
  EXPORT_ONNX: exportOnnxPayload,
} as const;

export function parseEvaluationRequests(input: unknown, field = 'evaluate'): EvaluationRequest[] {
  const parsed = z
    .array(evaluationRequest)
    .max(16, 'at most 16 evaluations')
    .safeParse(input ?? []);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadInputError([field, ...issue.path.map(String)].join('.'), issue.message);
  }
  return parsed.data;
}
