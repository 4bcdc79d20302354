// Rounding a trimmed vocabulary up to a multiple (src/vocab/select.ts): padding fills the gap to the
// smallest multiple of 64 not below the unpadded size, and no more. Each padding token is the
// first candidate (corpus tokens by count, then every token by id) whose adding, with the parts
// of its merge path not kept yet, adds exactly one token; worked by hand on a small BPE, and on the
// shared model's Llama-2 tokenizer, whose padding used to take a token with its missing path parts,
// jump past the multiple and fill up to the next one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { readTokenizerFilesSync } from '../../src/formats/checkpoint/tokenizerFiles.js';
import { readBpe, type TokenizerJson } from '../../src/vocab/bpe.js';
import type { CorpusCount } from '../../src/vocab/count.js';
import { idMap, rewriteTokenizerConfig, rewriteTokenizerJson } from '../../src/vocab/rewrite.js';
import { countCorpus, selectTokens } from '../../src/vocab/select.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('bonsai-padding-');

/**
 * a b c d e, and ab abc de cd by the merges (a b) (ab c) (d e) (c d): no byte tokens and nothing
 * added, so nothing is kept but what the corpus counts and its merge paths.
 */
const SMALL: TokenizerJson = {
  model: {
    type: 'BPE',
    vocab: { a: 0, b: 1, c: 2, d: 3, e: 4, ab: 5, abc: 6, de: 7, cd: 8 },
    merges: ['a b', 'ab c', 'd e', 'c d'],
  },
};
const id = (token: string) => (SMALL.model.vocab as Record<string, number>)[token]!;
const tokensOf = (kept: number[]) => kept.map((k) => Object.keys(SMALL.model.vocab).find((t) => id(t) === k));

/** The corpus counts abc 5 times and de once; `minFrequency: 2` keeps abc only (with a b c ab, its path): 5 tokens. */
function selectSmall(roundTo: number) {
  const counted: CorpusCount = {
    counts: new Map([
      [id('abc'), 5],
      [id('de'), 1],
    ]),
    corpus: [],
    total: 6,
  };
  return selectTokens(readBpe(SMALL), counted, { corpus: [], minFrequency: 2, roundTo }, 9);
}

describe('padding to a multiple', () => {
  it('adds the first candidate that adds exactly one token, not the first candidate with its path', () => {
    expect(tokensOf(selectSmall(1).kept)).toEqual(['a', 'b', 'c', 'ab', 'abc']);
    // One token short of 6. The first candidate, de (counted once), would bring d and e along: 8,
    // past 6. d adds only itself.
    const six = selectSmall(6);
    expect(tokensOf(six.kept)).toEqual(['a', 'b', 'c', 'd', 'ab', 'abc']);
    expect(six.padding).toBe(1);
  });

  it('takes each padding token as the first in order that adds one at that point', () => {
    // Three short of 8: d (de still needs e), then e; now de adds only itself and comes before cd
    // (it is counted), which also would.
    const eight = selectSmall(8);
    expect(tokensOf(eight.kept)).toEqual(['a', 'b', 'c', 'd', 'e', 'ab', 'abc', 'de']);
    expect(eight.padding).toBe(3);
  });

  it('brings no token that has no row in the embedding', () => {
    // ede is made from e and de (d e), and de has id 8, past the 8 rows: padding stops at d and e
    // rather than add ede with a token the embedding cannot hold.
    const json: TokenizerJson = {
      model: { type: 'BPE', vocab: { a: 0, b: 1, c: 2, d: 3, e: 4, ab: 5, abc: 6, ede: 7, de: 8 }, merges: ['a b', 'ab c', 'd e', 'e de'] },
    };
    const counted: CorpusCount = { counts: new Map([[id('abc'), 5]]), corpus: [], total: 5 };
    const s = selectTokens(readBpe(json), counted, { corpus: [], roundTo: 12 }, 8);
    expect(s.kept).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.padding).toBe(2);
  });
});

describe('padding with the shared model’s Llama-2 tokenizer, trimmed to 100 lines of the German fortunes', () => {
  it('lands on the smallest multiple of 64, each padding token built by the trimmed BPE, the corpus encoded as before', () => {
    const lines = readFileSync(join(sharedDir, 'data', 'fortunes-de.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, 100);
    const corpus = join(tmp, 'fortunes-de-100.txt');
    writeFileSync(corpus, lines.join('\n'));
    const files = readTokenizerFilesSync(sharedModel, 'the test');
    const json = files.json as unknown as TokenizerJson;
    const view = readBpe(json);
    const counted = countCorpus({ json, config: files.config }, [corpus], undefined, 'line');
    const rows = 32_000;
    const unpadded = selectTokens(view, counted, { corpus: [corpus], roundTo: 1 }, rows).kept;
    const s = selectTokens(view, counted, { corpus: [corpus] }, rows);
    // Rounding up to 64 needs this many more; this corpus needs some (the case is not trivial).
    const target = Math.ceil(unpadded.length / 64) * 64;
    expect(target).toBeGreaterThan(unpadded.length);
    expect(s.kept).toHaveLength(target);
    expect(s.padding).toBe(target - unpadded.length);
    const inSelection = new Set(s.kept);
    for (const k of unpadded) expect(inSelection.has(k)).toBe(true);

    const map = idMap(s.kept);
    const original = new Tokenizer(files.json, files.config);
    const trimmed = new Tokenizer(rewriteTokenizerJson(json, map), rewriteTokenizerConfig(files.config, map));
    // Each padding token the original BPE builds from its own characters, the trimmed one builds
    // too: its merge path came with it (the library's BPE on the token's text, no pre-tokenizer).
    const bpe = (t: Tokenizer, word: string) => (t.model as unknown as { bpe(w: string): string[] }).bpe(word);
    const padding = s.kept.filter((k) => !unpadded.includes(k)).map((k) => view.tokens.get(k)!);
    let built = 0;
    for (const token of padding)
      if (bpe(original, token).join(' ') === token) {
        built++;
        expect(bpe(trimmed, token)).toEqual([token]);
      }
    expect(built).toBeGreaterThan(0);
    // The trim is exact on each line, the unit it was counted in.
    for (const t of new Set(lines)) {
      const a = original.encode(t, { add_special_tokens: false });
      const b = trimmed.encode(t, { add_special_tokens: false });
      expect(b.tokens).toEqual(a.tokens);
      expect(b.ids).toEqual(a.ids.map((i: number) => map.get(i)));
    }
  }, 60_000);
});
