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

/** Metrics whose value depends on how the text is split into tokens. */
const PER_TOKEN = new Set(['perplexity', 'mean_nll']);

export type Comparison =
  | { comparable: true; parent: number; delta: number; percent: number; better: boolean }
  | { comparable: false; reason: string };

function sameSettings(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== 'tokens');
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
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
