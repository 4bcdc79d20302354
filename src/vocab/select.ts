// Token selection for vocabulary trimming (Bourdois, "Introduction to trimming"; vocabtrimmer):
// count ids over corpus files with the model's own tokenizer, keep the frequent ones, the special,
// added and byte tokens, and the symbols BPE passes through when it builds each kept token (its
// merge path), then round the size up to a multiple with the next most frequent tokens.
//
// Why the merge path is enough (and the closure under every producing merge is not needed): BPE
// (Sennrich et al. 2016, as huggingface/tokenizers applies it) applies the lowest-ranked applicable
// merge first. No merge ever crosses the boundary of a token the encoding ends with, so the merges
// inside a kept token are exactly those of BPE run on that token's own characters; a trimmed
// tokenizer keeps every merge whose parts and result survive, which includes all of those, and the
// merges it drops were never applied, so at every step the lowest-ranked applicable merge is the
// same one as before. Corpus text therefore tokenises exactly as it did. Every symbol kept is one
// BPE forms while encoding the corpus, so no smaller set repeats its merges step for step; a BPE
// converted from SentencePiece (Llama-2, Gemma-3) can make a token by several merges (`▁void` from
// `▁v oid` and `▁vo id`), and there the symbols another route replaces are dropped afterwards
// (src/vocab/minimize.ts), so that no kept token can be removed (test/vocab/minimal.test.ts).
//
// The merge path is kept only for tokens the tokenizer actually builds by merging. With
// `ignore_merges` (Llama-3 style; the tokenizers crate's models/bpe/model.rs), a pre-token found
// whole in the vocabulary is emitted as that token with no merge at all, so a token the corpus only
// ever produces that way needs nothing else (src/vocab/builtByMerges.ts says which were built).
// The first symbols of a word follow the crate's `merge_word`: `continuing_subword_prefix` on every
// character but the first, `end_of_word_suffix` on the last; a merge's result strips the prefix
// from its right part; and a merge listed twice takes its last rank (the crate collects the merges
// into a map keyed by pair, as tokenizers.js does).
import { join, resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import { readJsonObjectSync } from '../formats/checkpoint/folder.js';
import { readTokenizerFilesSync } from '../formats/checkpoint/tokenizerFiles.js';
import { type BpeView, mergeResult, readBpe, type TokenizerJson } from './bpe.js';
import type { CorpusCount, CorpusFile, CorpusUnit } from './count.js';
import { countCorpusCached } from './countCache.js';
import { firstSymbols, mergePath, mergeRanks } from './mergePath.js';
import { PieceEncoder } from './minimize.js';

export { type CorpusUnit, countCorpus } from './count.js';
export { mergePath, mergeRanks, type WordOptions } from './mergePath.js';

export interface VocabOptions {
  corpus: string[];
  /** Tokens seen fewer times than this are dropped (1 keeps every token the corpus uses). */
  minFrequency?: number;
  /** Keep at most this many corpus tokens, the most frequent (special, added and byte tokens come on top). */
  vocabSize?: number;
  roundTo?: number;
  /** How the corpus is tokenised (src/vocab/count.ts). */
  unit?: CorpusUnit;
}

export interface VocabSelection {
  /** Old ids, ascending: position = new id. */
  kept: number[];
  /** Tokens the tokenizer had (vocabulary and added tokens). */
  before: number;
  corpus: CorpusFile[];
  /** Token occurrences counted, and the share of them whose token was kept. */
  corpusTokens: number;
  coverage: number;
  /**
   * Distinct tokens kept because the corpus uses them: its encodings in the chosen unit, and for
   * `document` also the tokens only its line-by-line encoding uses. Padding is counted apart.
   */
  fromCorpus: number;
  /**
   * The size (rounded the same way) had the set been closed under every merge producing a kept
   * token, the rule before merge paths: what the minimal set saves.
   */
  withAllMerges: number;
  padding: number;
}

/** The tokenizer files as vocabulary trimming reads them (src/formats/checkpoint/tokenizerFiles.ts). */
export interface TokenizerFiles {
  json: TokenizerJson;
  config: Record<string, unknown>;
}

export function readTokenizerFiles(dir: string): TokenizerFiles {
  const files = readTokenizerFilesSync(dir, 'vocabulary trimming');
  return { json: files.json as unknown as TokenizerJson, config: files.config };
}

/**
 * The tokenizer files a selection was made from, as parsed: writing the trimmed tokenizer
 * (src/vocab/files.ts) rewrites them without reading and parsing them a second time (Gemma-3's
 * 33 MB tokenizer.json, about 0.75 CPU-s). Kept by selection, not in it: a plan is shown and
 * stored as JSON. A selection made in another process (a plan passed in) has none, and the files
 * are read again.
 */
const selectedFrom = new WeakMap<VocabSelection, { dir: string; files: TokenizerFiles }>();

/** The files `selection` was made from if they were read from `dir` in this process; once, so they are not held after. */
export function takeSelectedFrom(selection: VocabSelection, dir: string): TokenizerFiles | undefined {
  const read = selectedFrom.get(selection);
  selectedFrom.delete(selection);
  return read && resolve(read.dir) === resolve(dir) ? read.files : undefined;
}

/**
 * Each merges list's producers so far, by the list and the prefix: like its ranks
 * (src/vocab/mergePath.ts, mergeRanks), made once per view however often it is selected from
 * (Gemma-3's 514,906 merges, 0.6 s a time). Nothing changes the maps once made.
 */
const producersOf = new WeakMap<ReadonlyArray<readonly [string, string]>, Map<string, Map<string, Array<[string, string]>>>>();

/** For each token, the merges that produce it (left + right). */
function producers(view: BpeView): Map<string, Array<[string, string]>> {
  let byPrefix = producersOf.get(view.merges);
  if (!byPrefix) {
    byPrefix = new Map();
    producersOf.set(view.merges, byPrefix);
  }
  const known = byPrefix.get(view.prefix);
  if (known) return known;
  const out = new Map<string, Array<[string, string]>>();
  for (const [a, b] of view.merges) {
    const r = mergeResult(a, b, view.prefix);
    const list = out.get(r);
    if (list) list.push([a, b]);
    else out.set(r, [[a, b]]);
  }
  byPrefix.set(view.prefix, out);
  return out;
}

/** The ids kept so far, as `close` and `addPaths` read and extend them. */
interface IdSet {
  has(id: number): boolean;
  add(id: number): unknown;
}

/**
 * Adds to `kept` every part of every merge that produces a kept token, recursively. Encoding a text
 * only ever builds tokens through such merges, so the trimmed BPE repeats the original's steps.
 */
function close(view: BpeView, made: Map<string, Array<[string, string]>>, kept: IdSet, start: Iterable<number>): void {
  const stack = [...start];
  while (stack.length > 0) {
    const token = view.tokens.get(stack.pop()!);
    if (token === undefined) continue;
    for (const pair of made.get(token) ?? []) {
      for (const part of pair) {
        const id = view.ids.get(part);
        if (id !== undefined && !kept.has(id)) {
          kept.add(id);
          stack.push(id);
        }
      }
    }
  }
}

/**
 * Adds the merge path of every token in `start` to `kept`. A token its own characters do not build
 * (none the corpus produced can be one) falls back to the closure under its producing merges.
 */
function addPaths(
  view: BpeView,
  rank: ReadonlyMap<string, number>,
  made: Map<string, Array<[string, string]>>,
  kept: IdSet,
  start: Iterable<number>,
): void {
  for (const id of [...start]) {
    const token = view.tokens.get(id);
    if (token === undefined || view.mandatory.has(id)) continue;
    const path = mergePath(token, rank, view);
    if (!path.reaches) {
      close(view, made, kept, [id]);
      continue;
    }
    for (const s of path.symbols) {
      const sid = view.ids.get(s);
      if (sid !== undefined) kept.add(sid);
    }
  }
}

/**
 * What adding `id` to `kept` with its merge path adds: `addPaths` run on a layer over `kept`
 * that records the ids it adds (the token and the symbols of its path not kept yet, or for a token
 * its own characters do not build, the closure under its producing merges). `kept` is not changed.
 */
function additions(
  view: BpeView,
  rank: ReadonlyMap<string, number>,
  made: Map<string, Array<[string, string]>>,
  kept: ReadonlySet<number>,
  id: number,
): number[] {
  const added = new Set([id]);
  const layer: IdSet = {
    has: (t) => kept.has(t) || added.has(t),
    add: (t) => {
      if (!kept.has(t)) added.add(t);
    },
  };
  addPaths(view, rank, made, layer, [id]);
  return [...added];
}

/** Ids the configs refer to (bos, eos, pad…) are kept whatever the corpus says. */
export function configTokenIds(...configs: Array<Record<string, unknown> | undefined>): number[] {
  const out: number[] = [];
  for (const c of configs) {
    if (!c) continue;
    for (const key of ['bos_token_id', 'eos_token_id', 'pad_token_id', 'decoder_start_token_id']) {
      const v = c[key];
      if (typeof v === 'number') out.push(v);
      else if (Array.isArray(v)) out.push(...v.filter((x): x is number => typeof x === 'number'));
    }
    if (c.text_config && typeof c.text_config === 'object') out.push(...configTokenIds(c.text_config as Record<string, unknown>));
  }
  return out;
}

export function selectTokens(
  view: BpeView,
  counted: CorpusCount,
  options: VocabOptions,
  rows: number,
  extraMandatory: number[] = [],
): VocabSelection {
  const minFrequency = options.minFrequency ?? 1;
  const roundTo = options.roundTo ?? 64;
  const byCount = (a: [number, number], b: [number, number]) => b[1] - a[1] || a[0] - b[0];
  const frequent = [...counted.counts].filter(([, c]) => c >= minFrequency).sort(byCount);
  const chosen = options.vocabSize !== undefined ? frequent.slice(0, options.vocabSize) : frequent;
  const kept = new Set<number>([...view.mandatory, ...extraMandatory.filter((id) => id < rows)]);
  for (const [id] of chosen) kept.add(id);
  // Tokens only line-by-line encoding uses (a line's last punctuation without its line break);
  // kept too unless a size cap asks for the most frequent only.
  let fromCorpus = chosen.length;
  if (options.vocabSize === undefined)
    for (const id of counted.alsoUsed ?? [])
      if (id < rows) {
        kept.add(id);
        fromCorpus++;
      }
  const made = producers(view);
  const rank = mergeRanks(view);
  // The previous rule, for the plan's comparison: the closure under every producing merge.
  const closed = new Set(kept);
  close(view, made, closed, closed);
  // Unigram and WordPiece build no token from others: the tokens the corpus uses, with the
  // fallback pieces, segment it exactly as before (a best or longest-match segmentation that used
  // only kept pieces stays the best once other pieces are gone).
  // Merge paths of the tokens BPE builds: all of them, or with `ignore_merges` those the corpus
  // built by merging (a token only emitted whole needs none).
  const built = counted.builtByMerges ? new Set(counted.builtByMerges) : undefined;
  if (view.kind === 'BPE')
    addPaths(
      view,
      rank,
      made,
      kept,
      [...kept].filter((id) => built === undefined || built.has(id)),
    );
  // Path symbols another merge route replaces (src/vocab/minimize.ts), where the trim is exact:
  // every token the corpus uses is kept. The pieces are there only for a BPE without a prefix,
  // suffix or ignore_merges (src/vocab/count.ts).
  // Once one is gone, each token added to round up is checked the same way (PieceEncoder).
  let pieces: PieceEncoder | undefined;
  if (view.kind === 'BPE' && counted.pieces && chosen.length === counted.counts.size) {
    const fixed = new Set([...view.mandatory, ...extraMandatory, ...counted.counts.keys(), ...(counted.alsoUsed ?? [])]);
    const encoder = new PieceEncoder(view, rank, kept, counted.pieces);
    const removed = encoder.removeReplaceable([...kept].filter((id) => !fixed.has(id)));
    for (const id of removed) kept.delete(id);
    if (removed.length > 0) pieces = encoder;
  }

  // Round up with the next most frequent tokens, then the rest by id. A candidate comes with the
  // parts of its merge path not kept yet (a padding token the trimmed BPE could not build would be
  // a dead row), so adding it can add several tokens; each padding token is the first candidate
  // that adds exactly one at that point, so the size lands on the smallest multiple. Taking the
  // first candidate with its path, as before, could jump past the multiple and fill up to the next.
  const seen = new Set<number>();
  const rest: number[] = [];
  for (const id of [...[...counted.counts].sort(byCount).map(([id]) => id), ...[...view.tokens.keys()].sort((a, b) => a - b)]) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (!kept.has(id) && id < rows) rest.push(id);
  }
  // With `ignore_merges` a padding token is emitted whole or not at all, like a Unigram piece: it
  // needs no merge path, so it adds exactly one.
  const needsPath = view.kind === 'BPE' && !view.ignoresMerges;
  const isKept = (s: string) => kept.has(view.ids.get(s) ?? -1);
  // Whether `id` may add exactly one: the last merge of its path makes it from two kept symbols.
  // A quick test before the walk, which for each of a 262k vocabulary's tokens took seconds (Gemma 3).
  const mayAddOne = (id: number) => {
    const token = view.tokens.get(id)!;
    const last = made.get(token);
    return !last || last.some(([a, b]) => isKept(a) && isKept(b)) || firstSymbols(token, view).length <= 1;
  };
  const addsOf = (id: number) => (needsPath ? additions(view, rank, made, kept, id) : [id]);
  // Padding counts every token rounding adds, merge-path parts of a padding token included.
  const unpadded = kept.size;
  // Each addition starts the scan over: it can make an earlier candidate add exactly one.
  while (kept.size % roundTo !== 0) {
    let added = false;
    for (const id of rest) {
      if (kept.has(id) || (needsPath && !mayAddOne(id))) continue;
      if (addsOf(id).length === 1 && (!pieces || pieces.keepsEncodings(id))) {
        kept.add(id);
        pieces?.add(id);
        added = true;
        break;
      }
    }
    // For a tokenizer read from tokenizer.json nothing is left to add once no candidate adds
    // exactly one: the first symbol of a candidate's path that is not kept is built from the
    // symbols before it, all kept, and so adds exactly one; its id has a row if the candidate's
    // parts all do. Kept as a guard: the first candidate whose additions fit in the gap, else the first.
    if (!added) {
      const gap = roundTo - (kept.size % roundTo);
      let fallback: number[] | undefined;
      for (const id of rest) {
        if (kept.has(id)) continue;
        const more = addsOf(id);
        if (more.some((m) => m >= rows)) continue;
        if (more.length <= gap) {
          fallback = more;
          break;
        }
        fallback ??= more;
      }
      if (!fallback) break;
      const size = kept.size;
      for (const m of fallback)
        if (!pieces || pieces.keepsEncodings(m)) {
          kept.add(m);
          pieces?.add(m);
        }
      if (kept.size === size) break;
    }
  }
  const padding = kept.size - unpadded;
  const beyond = [...kept].find((id) => id >= rows);
  if (beyond !== undefined)
    throw new BadInputError('tokenizer.json', `token id ${beyond} has no row in the embedding (vocab_size ${rows})`);
  let covered = 0;
  for (const [id, c] of counted.counts) if (kept.has(id)) covered += c;
  return {
    kept: [...kept].sort((a, b) => a - b),
    before: view.tokens.size,
    corpus: counted.corpus,
    corpusTokens: counted.total,
    coverage: counted.total === 0 ? 1 : covered / counted.total,
    fromCorpus,
    padding,
    withAllMerges: Math.ceil(closed.size / roundTo) * roundTo,
  };
}

/** Rows of the embedding: config vocab_size (text_config's for multimodal Gemma 3). */
function vocabRows(config: Record<string, unknown>): number {
  const text = config.text_config as Record<string, unknown> | undefined;
  return Number(config.vocab_size ?? text?.vocab_size);
}

/**
 * Everything in one call: tokenizer files of `dir`, corpus counted, tokens selected. `cacheDir`:
 * where counts are kept between runs (src/vocab/countCache.ts); without it the corpus is counted.
 */
export function selectVocabulary(
  dir: string,
  config: Record<string, unknown>,
  options: VocabOptions,
  onProgress?: (fraction: number) => void,
  cacheDir?: string,
): VocabSelection {
  const files = readTokenizerFiles(dir);
  const view = readBpe(files.json);
  const counted = countCorpusCached(files, options.corpus, onProgress, options.unit, cacheDir);
  const generation = join(dir, 'generation_config.json');
  const gen = readJsonObjectSync(generation) ?? undefined;
  const selection = selectTokens(view, counted, options, vocabRows(config), configTokenIds(config, gen));
  selectedFrom.set(selection, { dir, files });
  return selection;
}
