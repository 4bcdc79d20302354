// Multiple choice (lm-evaluation-harness): each choice is a continuation " " + choice of the
// context; acc = argmax of log-likelihood, acc_norm = argmax of log-likelihood divided by the
// choice's length in characters.
import { basename } from 'node:path';
import { type DataFile, readDataFile, readJsonl } from '../formats/dataFile.js';
import { scoreContinuations } from './loglikelihood.js';
import type { EvalContext, EvalResult } from './types.js';

interface Item {
  context: string;
  choices: string[];
  label: number;
}

function check(r: Record<string, unknown>): string | null {
  if (typeof r.context !== 'string') return 'needs "context" (a string)';
  if (!Array.isArray(r.choices) || r.choices.length < 2 || r.choices.some((c) => typeof c !== 'string' || c.length === 0))
    return 'needs "choices" (at least two non-empty strings)';
  if (!Number.isInteger(r.label) || (r.label as number) < 0 || (r.label as number) >= r.choices.length)
    return `"label" must be an index into choices (0 to ${r.choices.length - 1})`;
  return null;
}

const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);

export interface MultipleChoiceData {
  file: DataFile;
  items: Item[];
}

/** The items of a multiple-choice file, each checked. */
export function readMultipleChoice(data: string): MultipleChoiceData {
  const file = readDataFile(data);
  return { file, items: readJsonl<Item>(file, check) };
}

/** `read`: `data`, already read (evaluateCheckpoint reads it before it loads the model). */
export async function multipleChoice(
  ctx: EvalContext,
  o: { data: string; limit?: number; read?: MultipleChoiceData },
): Promise<EvalResult[]> {
  const { file, items } = o.read ?? readMultipleChoice(o.data);
  const used = o.limit ? items.slice(0, o.limit) : items;
  let acc = 0;
  let accNorm = 0;
  ctx.onProgress?.(0);
  for (const [i, item] of used.entries()) {
    const scores = await scoreContinuations(
      ctx,
      item.choices.map((c) => ({ context: item.context, continuation: ` ${c}` })),
    );
    const ll = scores.map((s) => s.logprob);
    if (argmax(ll) === item.label) acc++;
    if (argmax(ll.map((l, j) => l / item.choices[j]!.length)) === item.label) accNorm++;
    ctx.onProgress?.((i + 1) / used.length);
  }
  const n = used.length;
  const settings = { samples: n, datasetSha256: file.sha256 };
  const se = (p: number) => Math.sqrt((p * (1 - p)) / Math.max(1, n - 1));
  const dataset = basename(o.data);
  return [
    { task: 'multiple-choice', metric: 'acc', value: acc / n, stderr: se(acc / n), dataset, settings },
    { task: 'multiple-choice', metric: 'acc_norm', value: accNorm / n, stderr: se(accNorm / n), dataset, settings },
  ];
}
