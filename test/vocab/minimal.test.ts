// Vocabulary trimming keeps an exact set no token can leave, as a property (issue 28): for a
// sample of the kept tokens the corpus emits, removing that one token from the tokenizer trimmed
// to the set before padding (its vocab entry and every merge making or using it, as
// src/vocab/rewrite.ts drops them) changes the encoding of at least one corpus text: the whole file
// or one of its lines, the texts the default `document` unit counts. Of the tokens kept only as
// merge-path symbols (BPE), those without which some emitted token can no longer be built by any
// merge route must stay (a fixpoint over the parent's merges; a sample is removed to confirm it),
// and every other one is removed in turn: none may leave the encodings unchanged. Those are the
// symbols of a BPE converted from SentencePiece (Gemma-3, Llama-2) whose token another merge can
// make (`▁void` from `▁v oid` and from `▁vo id`): before src/vocab/minimize.ts, 35 of Gemma-3's 337
// here could go. Encoded with @huggingface/tokenizers, on the shared Qwen3, Gemma-3, Llama-2,
// XLM-R, mBERT and T5 tokenizers and on Qwen3's with `ignore_merges: true` (Llama-3 style: a
// pre-token found whole is emitted without merges). Seed fixed (BONSAI_FC_SEED overrides it); a
// failure names the token.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTokenizerFilesSync } from '../../src/formats/checkpoint/tokenizerFiles.js';
import { type BpeView, readBpe, type TokenizerJson } from '../../src/vocab/bpe.js';
import type { CorpusCount } from '../../src/vocab/count.js';
import { idMap, rewriteTokenizerConfig, rewriteTokenizerJson } from '../../src/vocab/rewrite.js';
import { countCorpus, selectTokens, type VocabSelection } from '../../src/vocab/select.js';
import { sharedDir } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261204);
/** Tokens sampled per stratum and tokenizer; corpus lines per tokenizer (a small corpus keeps this file to seconds). */
const SAMPLE = 12;
const LINES = 40;
const tmp = tempDir('bonsai-minimal-');

function corpusFile(name: string): { file: string; texts: string[] } {
  const lines = readFileSync(join(sharedDir, 'data', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, LINES);
  const file = join(tmp, name);
  const text = lines.join('\n');
  writeFileSync(file, text);
  return { file, texts: [text, ...lines] };
}

const rowsOf = (ids: Iterable<number>) => [...ids].reduce((a, b) => Math.max(a, b), 0) + 1;
const encodeAll = (tok: Tokenizer, texts: string[]) => texts.map((t) => tok.encode(t, { add_special_tokens: false }));

interface Trim {
  selection: VocabSelection;
  /** Kept before rounding up (roundTo 1), ascending: the rest of `selection.kept` is padding. */
  unroundedKept: number[];
  unrounded: Set<number>;
  mandatory: Set<number>;
  emitted: Set<number>;
  /** The tokenizer trimmed to `unroundedKept`. */
  trimmedJson: TokenizerJson;
  trimmedConfig: Record<string, unknown>;
  tokens: Map<number, string>;
  counted: CorpusCount;
  /** The trimmed tokenizer's tokens for each corpus text. */
  encoded: string[];
}

/**
 * The last tokenizer's files read, kept for the next case: the two Qwen3 cases (one with
 * `ignore_merges`, set on a copy of the model section: nothing here changes a tokenizer.json in
 * place) read its 11 MB once. One at a time, so Gemma-3's parsed 33 MB do not stay in memory for
 * the later cases.
 */
let lastRead: { tokenizer: string; files: ReturnType<typeof readTokenizerFilesSync> } | undefined;
function tokenizerFiles(tokenizer: string, edit?: (json: TokenizerJson) => void) {
  if (lastRead?.tokenizer !== tokenizer)
    lastRead = {
      tokenizer,
      // A name with a slash is a folder of ../shared (the shared model's Llama-2 tokenizer).
      files: readTokenizerFilesSync(join(sharedDir, ...(tokenizer.includes('/') ? [tokenizer] : ['tokenizers', tokenizer])), 'the test'),
    };
  const { files } = lastRead;
  const read = files.json as unknown as TokenizerJson;
  const json = edit ? { ...read, model: { ...read.model } } : read;
  edit?.(json);
  return { json, config: files.config };
}

function trim(
  tokenizer: string,
  corpus: { file: string; texts: string[] },
  edit?: (json: TokenizerJson) => void,
): { t: Trim; view: BpeView } {
  const files = tokenizerFiles(tokenizer, edit);
  const json = files.json;
  const view = readBpe(json);
  const counted = countCorpus({ json, config: files.config }, [corpus.file]);
  const rows = rowsOf(view.tokens.keys());
  const selection = selectTokens(view, counted, { corpus: [corpus.file] }, rows);
  const unroundedKept = selectTokens(view, counted, { corpus: [corpus.file], roundTo: 1 }, rows).kept;
  const original = encodeAll(new Tokenizer(json, files.config), corpus.texts);
  const emitted = new Set(original.flatMap((e) => e.ids));
  // The trim itself is exact on every corpus text, padded as written and before padding. Removals
  // are tried on the set before padding: padding tokens can open other merge routes.
  const trimTo = (kept: number[]) => {
    const map = idMap(kept);
    const trimmedJson = rewriteTokenizerJson(json, map);
    const trimmedConfig = rewriteTokenizerConfig(files.config, map);
    const trimmed = encodeAll(new Tokenizer(trimmedJson, trimmedConfig), corpus.texts);
    expect(trimmed.map((e) => e.tokens)).toEqual(original.map((e) => e.tokens));
    return { trimmedJson, trimmedConfig, encoded: trimmed.map((e) => e.tokens.join('\u0000')) };
  };
  trimTo(selection.kept);
  const { trimmedJson, trimmedConfig, encoded } = trimTo(unroundedKept);
  const unrounded = new Set(unroundedKept);
  return {
    t: {
      selection,
      unroundedKept,
      unrounded,
      mandatory: view.mandatory,
      emitted,
      trimmedJson,
      trimmedConfig,
      tokens: view.tokens,
      counted,
      encoded,
    },
    view,
  };
}

/**
 * Each case is trimmed once per run. The view it was selected from is kept until the next case is
 * trimmed (like `lastRead`, so Gemma-3's does not stay in memory): the ignore_merges comparison
 * selects from it again, right after its case's trim.
 */
const trims = new Map<string, { t: Trim; corpus: { file: string; texts: string[] }; view?: BpeView }>();
function trimOnce(tokenizer: string, corpusName: string, edit?: (json: TokenizerJson) => void) {
  const key = `${tokenizer} ${corpusName} ${edit ? 'edited' : ''}`;
  if (!trims.has(key)) {
    for (const earlier of trims.values()) earlier.view = undefined;
    const corpus = corpusFile(corpusName);
    trims.set(key, { ...trim(tokenizer, corpus, edit), corpus });
  }
  return trims.get(key)!;
}

/** Whether removing old id `id` from the trimmed tokenizer changes the tokens of any corpus text. */
function removalChanges(t: Trim, texts: string[], id: number): boolean {
  const n = t.unroundedKept.length;
  const without = t.unroundedKept.indexOf(id);
  const map = idMap(Array.from({ length: n }, (_, i) => i).filter((i) => i !== without));
  const after = encodeAll(new Tokenizer(rewriteTokenizerJson(t.trimmedJson, map), rewriteTokenizerConfig(t.trimmedConfig, map)), texts);
  return after.some((e, i) => e.tokens.join('\u0000') !== t.encoded[i]);
}

function expectEachNeeded(t: Trim, texts: string[], stratum: number[]): void {
  if (stratum.length === 0) return;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: stratum.length - 1 }), (i) => {
      const id = stratum[i]!;
      if (!removalChanges(t, texts, id))
        throw new Error(`removing ${JSON.stringify(t.tokens.get(id))} (id ${id}) changes no corpus text: it was not needed`);
    }),
    { seed: SEED, numRuns: SAMPLE, endOnFailure: true },
  );
}

/** The parent's merges whose parts and result the trim keeps before padding, per trim. */
const keptMergesOf = new WeakMap<Trim, Array<[string, string]>>();
function keptMerges(t: Trim, json: TokenizerJson): Array<[string, string]> {
  let merges = keptMergesOf.get(t);
  if (!merges) {
    const kept = new Set([...t.unrounded].map((k) => t.tokens.get(k)!));
    merges = [];
    for (const m of json.model.merges ?? []) {
      const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
      if (kept.has(a) && kept.has(b) && kept.has(a + b)) merges.push([a, b]);
    }
    keptMergesOf.set(t, merges);
  }
  return merges;
}

/**
 * Whether every token the corpus emits can still be built once `id` is gone: from the kept single
 * characters and mandatory tokens, through the kept merges not making or using it (a fixpoint).
 * BPE without `ignore_merges` builds every multi-character token through merges, so where this
 * is false removing `id` must change an encoding; where it is true another route may build each
 * token that needed it. Read from the parent's merges, not Bonsai's path code.
 */
function stillBuildable(t: Trim, json: TokenizerJson, id: number): boolean {
  const gone = t.tokens.get(id)!;
  const built = new Set<string>();
  for (const k of t.unrounded) if (k !== id && (t.mandatory.has(k) || [...t.tokens.get(k)!].length === 1)) built.add(t.tokens.get(k)!);
  const merges = keptMerges(t, json).filter(([a, b]) => a !== gone && b !== gone && a + b !== gone);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of merges)
      if (!built.has(a + b) && built.has(a) && built.has(b)) {
        built.add(a + b);
        grew = true;
      }
  }
  return [...t.emitted].every((e) => built.has(t.tokens.get(e)!));
}

const ignoreMerges = (json: TokenizerJson) => {
  json.model.ignore_merges = true;
};

/**
 * Tokenizer, kind, corpus, edit, and how many merge-path symbols the trim could still drop with
 * every encoding unchanged (found by removing each one another route could replace): none.
 */
const CASES: Array<[string, string, string, ((json: TokenizerJson) => void) | undefined, number]> = [
  ['qwen3', 'byte-level BPE', 'fortunes-es.txt', undefined, 0],
  ['qwen3', 'byte-level BPE, ignore_merges', 'fortunes-es.txt', ignoreMerges, 0],
  ['gemma3', 'BPE, byte fallback', 'fortunes-de.txt', undefined, 0],
  ['models/tiny-llama-kjv', 'BPE from SentencePiece, byte fallback', 'kjv-train.txt', undefined, 0],
  ['xlm-roberta', 'Unigram', 'fortunes-es.txt', undefined, 0],
  ['t5-small', 'Unigram', 'fortunes-de.txt', undefined, 0],
  ['mbert', 'WordPiece', 'fortunes-de.txt', undefined, 0],
];

/**
 * Gemma-3's 262,144 pieces and 514,906 merges are read, viewed, counted with and selected from
 * whatever the corpus size: about 9 CPU-s, 16.7 s of wall time on a loaded 2-core machine, too
 * near a third of the 60 s default; the others take a few seconds.
 */
const limitFor = (tokenizer: string) => (tokenizer === 'gemma3' ? 120_000 : 60_000);

describe('ignore_merges: a token only ever emitted whole needs no merge path', () => {
  it('on Qwen3 with ignore_merges the old rule (every corpus token with its path) keeps more, and the smaller set is exact', () => {
    // First in the file, so the Qwen3 cases after it find its tokenizer.json read and its view still kept.
    const { t, corpus, view: kept } = trimOnce('qwen3', 'fortunes-es.txt', ignoreMerges);
    expect(t.counted.builtByMerges).toBeDefined();
    // Setting ignore_merges matters here: some corpus tokens are emitted only whole.
    expect(t.counted.builtByMerges!.length).toBeLessThan(t.emitted.size);
    const view = kept ?? readBpe(tokenizerFiles('qwen3', ignoreMerges).json);
    const { builtByMerges: _, ...asBefore } = t.counted;
    const old = selectTokens(view, asBefore, { corpus: [corpus.file], roundTo: 1 }, rowsOf(view.tokens.keys()));
    // trim() checked the smaller set encodes every corpus text exactly, so all the extra tokens
    // the old rule kept were removable.
    expect(t.unrounded.size).toBeLessThan(old.kept.length);
    for (const id of t.unrounded) expect(old.kept).toContain(id);
  }, 60_000);
});

describe.each(CASES)('%s (%s) trimmed to %s', (tokenizer, _kind, corpusName, edit, secondRoutes) => {
  it(
    'removing a sampled kept corpus token changes a corpus text; of the merge-path symbols only those a second merge route replaces can go, counted; N from the corpus is the distinct tokens of its encodings',
    () => {
      const { t, corpus } = trimOnce(tokenizer, corpusName, edit);
      // "N from the corpus": the distinct tokens of the whole-file and per-line encodings.
      expect(t.selection.fromCorpus).toBe(t.emitted.size);
      const kept = t.selection.kept.filter((id) => t.unrounded.has(id) && !t.mandatory.has(id));
      expect(t.selection.kept.filter((id) => !t.unrounded.has(id))).toHaveLength(t.selection.padding);
      // Padding fills the gap to the smallest multiple of 64 not below the unpadded size, no more.
      expect(t.selection.kept).toHaveLength(Math.ceil(t.unrounded.size / 64) * 64);
      const emitted = kept.filter((id) => t.emitted.has(id));
      const pathOnly = kept.filter((id) => !t.emitted.has(id));
      expect(emitted.length).toBeGreaterThan(SAMPLE);
      expectEachNeeded(t, corpus.texts, emitted);
      // Every merge-path symbol another route could replace is removed in turn; none may go. The
      // others cannot go (stillBuildable), which a sample confirms.
      const json = tokenizerFiles(tokenizer, edit).json;
      const replaceable = edit ? pathOnly : pathOnly.filter((id) => stillBuildable(t, json, id));
      const droppable = replaceable.filter((id) => !removalChanges(t, corpus.texts, id));
      expect(droppable).toHaveLength(secondRoutes);
      expectEachNeeded(
        t,
        corpus.texts,
        pathOnly.filter((id) => !replaceable.includes(id)),
      );
      if (tokenizer === 'qwen3') expect(pathOnly.length).toBeGreaterThan(SAMPLE);
    },
    limitFor(tokenizer),
  );
});
