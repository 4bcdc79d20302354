// The task kit (after graphql-hive's services/workflows/src/kit.ts): a task is its job kind, the
// zod schema of its payload and a handler. The payload is parsed once, here; the handler gets it
// typed, does its work and commits its result through the registry (src/registry/jobs/). How a
// failure is classified — permanent or retryable — is decided in one place, workers/failures.ts.
import type * as z from 'zod';
import type { JobRow } from '../src/registry/jobs/index.js';
import { BadPayloadError, UnknownTaskError } from './failures.js';
import type { JobContext } from './types.js';

type JobKind = JobRow['kind'];

export interface Task<P = unknown> {
  kind: JobKind;
  schema: z.ZodType<P>;
  handler(payload: P, ctx: JobContext): Promise<void>;
}

export function defineTask<S extends z.ZodType>(
  kind: JobKind,
  schema: S,
  handler: (payload: z.infer<S>, ctx: JobContext) => Promise<void>,
): Task<z.infer<S>> {
  return { kind, schema: schema as z.ZodType<z.infer<S>>, handler };
}

/** Parses the job's payload with its task's schema (a malformed row is a BAD_USER_INPUT, not retried) and runs it. */
export async function runTask(tasks: readonly Task<never>[], ctx: JobContext): Promise<void> {
  const task = tasks.find((t) => t.kind === ctx.job.kind);
  if (!task) throw new UnknownTaskError(ctx.job.kind);
  const parsed = (task.schema as z.ZodType).safeParse(ctx.job.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadPayloadError(ctx.job.kind, [issue.path.join('.'), issue.message].filter(Boolean).join(': '));
  }
  await (task.handler as (p: unknown, c: JobContext) => Promise<void>)(parsed.data, ctx);
}
