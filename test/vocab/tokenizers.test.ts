// Vocabulary trimming of Unigram (XLM-R, T5) and WordPiece (multilingual BERT) tokenizers, the
// published ones in ../shared/tokenizers, to the German and Spanish fortunes: every corpus line
// tokenises to the same token strings (with the new ids), text outside the corpus still encodes,
// decode(encode(x)) holds wherever it held before, and the special tokens' ids are remapped in
// the post-processor. Checked through @huggingface/tokenizers loading the rewritten files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { readTokenizerFilesSync } from '../../src/formats/checkpoint/tokenizerFiles.js';
import { readBpe, type TokenizerJson } from '../../src/vocab/bpe.js';
import { idMap, rewriteTokenizerConfig, rewriteTokenizerJson } from '../../src/vocab/rewrite.js';
import { countCorpus, selectTokens } from '../../src/vocab/select.js';
import { sharedDir } from '../fixtures/checkpoints.js';

const data = (f: string) => join(sharedDir, 'data', f);
const OUTSIDE = ['Zürich, 東京 and quantum chromodynamics: 42 × 7!', 'Ωμέγα — naïve café', 'xylophone QUIZ'];

/**
 * The tokenizer's files, view and untouched library instance, made once for both corpora: loading
 * XLM-R's 250,002 pieces is a second and a half of CPU (the parse, the view and the library's
 * Unigram trie), and nothing here changes them. One tokenizer at a time (the cases run tokenizer
 * by tokenizer), so XLM-R's does not stay in memory for the others.
 */
let last: { name: string; loaded: ReturnType<typeof load> } | undefined;
function load(name: string) {
  const files = readTokenizerFilesSync(join(sharedDir, 'tokenizers', name), 'the test');
  const json = files.json as unknown as TokenizerJson;
  return { files, json, view: readBpe(json), original: new Tokenizer(files.json, files.config) };
}

function trim(name: string, corpus: string) {
  if (last?.name !== name) last = { name, loaded: load(name) };
  const { files, json, view, original } = last.loaded;
  const counted = countCorpus({ json, config: files.config }, [data(corpus)], undefined, 'line');
  const rows = [...view.tokens.keys()].reduce((a, b) => Math.max(a, b), 0) + 1;
  const selection = selectTokens(view, counted, { corpus: [data(corpus)] }, rows);
  const map = idMap(selection.kept);
  const trimmed = new Tokenizer(rewriteTokenizerJson(json, map), rewriteTokenizerConfig(files.config, map));
  return { view, selection, map, original, trimmed, before: view.tokens.size };
}

const CASES: Array<[string, 'Unigram' | 'WordPiece']> = [
  ['xlm-roberta', 'Unigram'],
  ['t5-small', 'Unigram'],
  ['mbert', 'WordPiece'],
];

describe.each(CASES)('%s (%s)', (name, kind) => {
  for (const corpus of ['fortunes-de.txt', 'fortunes-es.txt']) {
    it(`trimmed to ${corpus}: same tokens on every line, still encodes other text, specials remapped`, () => {
      const t = trim(name, corpus);
      expect(t.view.kind).toBe(kind);
      expect(t.selection.kept.length % 64).toBe(0);
      expect(t.selection.kept.length).toBeLessThan(t.before / 2);
      const lines = readFileSync(data(corpus), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      let mismatches = 0;
      // Each distinct line once: encoding is a function of the text (the fortunes files repeat 15-21 % of their lines).
      for (const line of new Set(lines)) {
        const a = t.original.encode(line, { add_special_tokens: false });
        const b = t.trimmed.encode(line, { add_special_tokens: false });
        const same =
          a.ids.length === b.ids.length &&
          a.ids.every((id: number, i: number) => t.map.get(id) === b.ids[i] && a.tokens[i] === b.tokens[i]);
        if (!same && mismatches++ < 3) expect({ line, tokens: b.tokens }).toEqual({ line, tokens: a.tokens });
      }
      expect(mismatches).toBe(0);
      for (const text of OUTSIDE) {
        const b = t.trimmed.encode(text, { add_special_tokens: false });
        expect(b.ids.length).toBeGreaterThan(0);
        const before = t.original.decode(t.original.encode(text, { add_special_tokens: false }).ids);
        const after = t.trimmed.decode(b.ids);
        if (before === text) expect(after).toBe(text);
      }
      // The post-processor's special tokens: same strings, new ids.
      const a = t.original.encode(lines[0]!, { add_special_tokens: true });
      const b = t.trimmed.encode(lines[0]!, { add_special_tokens: true });
      expect(b.tokens).toEqual(a.tokens);
      expect(b.ids).toEqual(a.ids.map((id: number) => t.map.get(id)));
    }, 120_000);
  }
});
