// The merge path of a token: the symbols BPE passes through when it builds the token alone,
// following the tokenizers crate's `merge_word` and `Word::merge_all` (models/bpe/model.rs,
// word.rs): a word's first symbols spelled with `continuing_subword_prefix`/`end_of_word_suffix`,
// then the lowest-ranked merge first, leftmost on ties.
import { type BpeView, mergeResult } from './bpe.js';

/**
 * The ranks of each merges list made so far, by the list itself: a view's merges are read once
 * (src/vocab/bpe.ts) and never changed, and selecting twice from one view (rounded and not, as the
 * minimality test does) built Gemma-3's 514,906 keys twice, 0.5 CPU-s each. Weak, so a view's
 * ranks go with it.
 */
const ranksOf = new WeakMap<ReadonlyArray<readonly [string, string]>, ReadonlyMap<string, number>>();

/** Merge ranks by pair, for BPE on a token's own characters; a pair listed twice takes its last rank. */
export function mergeRanks(view: Pick<BpeView, 'merges'>): ReadonlyMap<string, number> {
  const known = ranksOf.get(view.merges);
  if (known) return known;
  const rank = new Map<string, number>();
  view.merges.forEach(([a, b], i) => {
    rank.set(`${a}\u0000${b}`, i);
  });
  ranksOf.set(view.merges, rank);
  return rank;
}

/** How a word's first symbols are spelled (BPE's `continuing_subword_prefix`, `end_of_word_suffix`; '' when unset). */
export interface WordOptions {
  prefix: string;
  suffix: string;
}

/**
 * The symbols `merge_word` starts from for a word that is `token`: a token starting with the
 * prefix sits inside a word (every character prefixed), otherwise at its start (all but the first);
 * a token ending with the suffix ends a word (its last character carries it).
 */
export function firstSymbols(token: string, { prefix, suffix }: WordOptions): string[] {
  let body = token;
  const inside = prefix !== '' && body.startsWith(prefix) && body.length > prefix.length;
  if (inside) body = body.slice(prefix.length);
  const last = suffix !== '' && body.endsWith(suffix) && body.length > suffix.length;
  if (last) body = body.slice(0, -suffix.length);
  const chars = Array.from(body);
  return chars.map((c, i) => `${inside || i > 0 ? prefix : ''}${c}${last && i === chars.length - 1 ? suffix : ''}`);
}

/**
 * BPE's merge loop on `parts` (changed in place, and returned): the pair of lowest rank first,
 * leftmost on ties (huggingface/tokenizers' `Word::merge_all`), until no pair has one. `rankOf`
 * says a pair's rank, or infinity where it may not merge; each pair's rank is kept and only the
 * two pairs beside a merge are asked again. `onMerge` sees each symbol made.
 */
export function mergeAll(
  parts: string[],
  rankOf: (a: string, b: string) => number,
  merge: (a: string, b: string) => string,
  onMerge?: (made: string) => void,
): string[] {
  const rankAt = (i: number) => rankOf(parts[i]!, parts[i + 1]!);
  const ranks: number[] = [];
  for (let i = 0; i + 1 < parts.length; i++) ranks.push(rankAt(i));
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i < ranks.length; i++)
      if (ranks[i]! < bestRank) {
        bestRank = ranks[i]!;
        best = i;
      }
    if (best < 0) return parts;
    const made = merge(parts[best]!, parts[best + 1]!);
    parts.splice(best, 2, made);
    onMerge?.(made);
    ranks.splice(best, 1);
    if (best > 0) ranks[best - 1] = rankAt(best - 1);
    if (best < ranks.length) ranks[best] = rankAt(best);
  }
}

/**
 * The symbols BPE passes through when it encodes `token` alone: its characters, then each merge
 * result, lowest rank first and leftmost on ties (huggingface/tokenizers' BPE word merge loop).
 * `reaches` says whether the loop ends in the token itself.
 */
export function mergePath(
  token: string,
  rank: ReadonlyMap<string, number>,
  word: WordOptions = { prefix: '', suffix: '' },
): { symbols: string[]; reaches: boolean } {
  const start = firstSymbols(token, word);
  const symbols = new Set(start);
  const parts = mergeAll(
    start,
    (a, b) => rank.get(`${a}\u0000${b}`) ?? Number.POSITIVE_INFINITY,
    (a, b) => mergeResult(a, b, word.prefix),
    (made) => symbols.add(made),
  );
  return { symbols: [...symbols], reaches: parts.length === 1 && parts[0] === token };
}
