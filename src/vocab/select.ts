// Token selection for vocabulary trimming (Bourdois, "Introduction to trimming"; vocabtrimmer):
// count ids over corpus files with the model's own tokenizer, keep the frequent ones, the special,
// added and byte tokens, close the set under the merges that produce kept tokens, and round the
// size up to a multiple with the next most frequent tokens.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import { readTokenizerFilesSync } from '../formats/checkpoint/tokenizerFiles.js';
import { type BpeView, readBpe, type TokenizerJson } from './bpe.js';
import { type CorpusCount, type CorpusFile, type CorpusUnit, countCorpus } from './count.js';

export { CORPUS_UNITS, type CorpusUnit, countCorpus } from './count.js';

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
  /** Kept because the corpus uses them, and added to round the size up. */
  fromCorpus: number;
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

/** For each token, the merges that produce it (left + right). */
function producers(view: BpeView): Map<string, Array<[string, string]>> {
  const out = new Map<string, Array<[string, string]>>();
  for (const [a, b] of view.merges) {
    const r = a + b;
    const list = out.get(r);
    if (list) list.push([a, b]);
    else out.set(r, [[a, b]]);
  }
  return out;
}

/**
 * Adds to `kept` every part of every merge that produces a kept token, recursively. Encoding a text
 * only ever builds tokens through such merges, so the trimmed BPE repeats the original's steps.
 */
function close(view: BpeView, made: Map<string, Array<[string, string]>>, kept: Set<number>, start: Iterable<number>): void {
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
  if (options.vocabSize === undefined) for (const id of counted.alsoUsed ?? []) if (id < rows) kept.add(id);
  const made = producers(view);
  close(view, made, kept, kept);
  const fromCorpus = chosen.length;

  // Round up with the next most frequent tokens, then the rest by id; first those whose parts are
  // all kept already (they add exactly one), so the size lands on the multiple.
  const seen = new Set<number>();
  const rest: number[] = [];
  for (const id of [...[...counted.counts].sort(byCount).map(([id]) => id), ...[...view.tokens.keys()].sort((a, b) => a - b)]) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (!kept.has(id) && id < rows) rest.push(id);
  }
  const ready = (id: number) =>
    (made.get(view.tokens.get(id)!) ?? []).every(([a, b]) => kept.has(view.ids.get(a)!) && kept.has(view.ids.get(b)!));
  let padding = 0;
  for (const pass of [true, false]) {
    for (const id of rest) {
      if (kept.size % roundTo === 0) break;
      if (kept.has(id) || (pass && !ready(id))) continue;
      kept.add(id);
      close(view, made, kept, [id]);
      padding++;
    }
  }
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
  };
}

/** Rows of the embedding: config vocab_size (text_config's for multimodal Gemma 3). */
function vocabRows(config: Record<string, unknown>): number {
  const text = config.text_config as Record<string, unknown> | undefined;
  return Number(config.vocab_size ?? text?.vocab_size);
}

/** Everything in one call: tokenizer files of `dir`, corpus counted, tokens selected. */
export function selectVocabulary(
  dir: string,
  config: Record<string, unknown>,
  options: VocabOptions,
  onProgress?: (fraction: number) => void,
): VocabSelection {
  const files = readTokenizerFiles(dir);
  const view = readBpe(files.json);
  const counted = countCorpus(files, options.corpus, onProgress, options.unit);
  const generation = join(dir, 'generation_config.json');
  const gen = existsSync(generation) ? (JSON.parse(readFileSync(generation, 'utf8')) as Record<string, unknown>) : undefined;
  return selectTokens(view, counted, options, vocabRows(config), configTokenIds(config, gen));
}
