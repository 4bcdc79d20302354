// Which metrics are better when smaller: perplexity and its log (mean negative log-likelihood per
// token), per-token latency and peak memory. Everything else the tasks report (accuracy,
// tokens/s) is better when larger. One list for the card's comparisons and the catalog's chart;
// plain data, so the catalog bundles it too.
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set([
  'perplexity',
  'mean_nll',
  'word_perplexity',
  'latency_ms',
  'peak_rss_bytes',
  'mlm_logits_max_abs_diff',
]);

export function lowerIsBetter(metric: string): boolean {
  return LOWER_IS_BETTER.has(metric);
}
