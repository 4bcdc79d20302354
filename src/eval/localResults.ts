// Evaluation results of a local checkpoint folder, kept beside it in bonsai_eval.json so that
// `bonsai card DIR` shows what `bonsai eval DIR` measured. A new result replaces an older one of
// the same task, metric, dataset and settings; results under other settings stay beside it.
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonObjectSync } from '../formats/checkpoint/folder.js';
import type { EvalResult } from './types.js';

export const EVAL_FILE = 'bonsai_eval.json';

const key = (r: EvalResult) => JSON.stringify([r.task, r.metric, r.dataset ?? null, r.settings]);

export function readLocalResults(dir: string): EvalResult[] {
  const file = join(dir, EVAL_FILE);
  if (!existsSync(file)) return [];
  try {
    // Under the JSON reading policy (src/formats/json.ts): a 100,000-deep file must not overflow the card.
    const parsed = (readJsonObjectSync(file) ?? {}) as { results?: unknown };
    return Array.isArray(parsed.results) ? (parsed.results as EvalResult[]) : [];
  } catch {
    // A hand-edited or truncated file: the card goes without it rather than failing.
    return [];
  }
}

export async function saveLocalResults(dir: string, results: readonly EvalResult[]): Promise<void> {
  const merged = new Map(readLocalResults(dir).map((r) => [key(r), r]));
  for (const r of results) merged.set(key(r), r);
  const tmp = join(dir, `.${EVAL_FILE}.${process.pid}`);
  await writeFile(tmp, `${JSON.stringify({ results: [...merged.values()] }, null, 2)}\n`);
  await rename(tmp, join(dir, EVAL_FILE));
}
