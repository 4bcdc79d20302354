// Whether a child's evaluation can be compared with its parent's, and how: the same task, metric,
// dataset and settings, and — for metrics per token — the same tokenizer (a trimmed vocabulary
// splits text differently, so perplexity per token changes meaning). Plain data, so the catalog
// bundles it too.
import { lowerIsBetter } from './metrics.js';

export interface ComparableEvaluation {
  task: string;
  metric: string;
  value: number;
  dataset: string | null;
  settings: Record<string, unknown>;
}

/** The sha256 of a model's tokenizer.json among its stored files: what "the same tokenizer" compares. */
export function tokenizerSha256(files: ReadonlyArray<{ path: string; sha256: string }>): string | null {
  return files.find((f) => f.path === 'tokenizer.json')?.sha256 ?? null;
}

/** Metrics whose value depends on how the text is split into tokens. */
const PER_TOKEN = new Set(['perplexity', 'mean_nll']);

/** The settings that must match, without the scored-token count (equal anyway for one tokenizer). */
function settingsToMatch(settings: Record<string, unknown>): Record<string, unknown> {
  const { tokens: _tokens, ...rest } = settings;
  return rest;
}

/**
 * A key equal for results that may be compared: the dataset, the settings that must match and, for
 * per-token metrics, the tokenizer (its tokenizer.json sha256).
 */
export function comparableKey(e: Omit<ComparableEvaluation, 'value' | 'task'>, tokenizerSha256: string | null): string {
  const keys = Object.entries(settingsToMatch(e.settings)).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([e.dataset, keys, PER_TOKEN.has(e.metric) ? tokenizerSha256 : null]);
}

export type Comparison =
  | { comparable: true; parent: number; delta: number; percent: number; better: boolean }
  | { comparable: false; reason: string };

/** The settings (other than the token count) whose values differ. */
function sameSettings(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const x = settingsToMatch(a);
  const y = settingsToMatch(b);
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}

export function compareWithParent(
  child: ComparableEvaluation,
  parentEvaluations: readonly ComparableEvaluation[],
  sameTokenizer: boolean,
): Comparison {
  const candidates = parentEvaluations.filter((p) => p.task === child.task && p.metric === child.metric && p.dataset === child.dataset);
  if (!candidates.length) return { comparable: false, reason: 'the parent has no result for this task, metric and dataset' };
  if (PER_TOKEN.has(child.metric) && !sameTokenizer) {
    return { comparable: false, reason: 'a different tokenizer: a value per token is not comparable across vocabularies' };
  }
  const match = candidates.find((p) => sameSettings(p.settings, child.settings).length === 0);
  if (!match) {
    const differing = sameSettings(candidates[0]!.settings, child.settings);
    return { comparable: false, reason: `measured with different settings (${differing.join(', ')})` };
  }
  const delta = child.value - match.value;
  const better = lowerIsBetter(child.metric) ? delta <= 0 : delta >= 0;
  return { comparable: true, parent: match.value, delta, percent: match.value === 0 ? 0 : (100 * delta) / match.value, better };
}
