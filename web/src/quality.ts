// One rule and one wording for "can these two results be compared", wherever the catalog shows a
// quality figure (the list's quality column, the tree's chart, the Evaluations tab): the rule is
// compareWithParent of src/eval/comparable.ts (same task, metric, dataset and settings; for
// per-token metrics the same tokenizer), the words are these.
import { type ComparableEvaluation, type Comparison, compareWithParent, tokenizerSha256 } from '../../src/eval/comparable';

export interface Measured {
  files: ReadonlyArray<{ path: string; sha256: string }>;
  evaluations: readonly ComparableEvaluation[];
}

/** A model's result against another model's (its parent, or the tree's root). */
export function compareResults(e: ComparableEvaluation, model: Measured, other: Measured): Comparison {
  return compareWithParent(e, other.evaluations, tokenizerSha256(model.files) === tokenizerSha256(other.files));
}

/** The words for a result that cannot be compared, e.g. "not comparable: a different tokenizer: …". */
export function notComparable(c: Extract<Comparison, { comparable: false }>): string {
  return `not comparable: ${c.reason}`;
}

/** The words for a comparison: the change in per cent and its direction, or why there is none. */
export function comparisonText(c: Comparison, value: number): string {
  if (!c.comparable) return notComparable(c);
  return `${c.parent.toFixed(4)} → ${value.toFixed(4)} (${c.percent >= 0 ? '+' : ''}${c.percent.toFixed(2)} %, ${c.better ? 'better or equal' : 'worse'})`;
}
