// The two-level merge-rank lookup (src/vocab/pairRanks.ts) encodes exactly as @huggingface/tokenizers
// does unchanged: the same ids for every line of a sample of each corpus, on the shared model's
// Llama-2 tokenizer (no pre-tokenizer: a line is one BPE word) and the shared Qwen3 (byte-level)
// and Gemma-3 (byte fallback) tokenizers, and a merge listed twice takes the rank the library gives it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { withPairRanks } from '../../src/vocab/pairRanks.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';

const load = (dir: string) => {
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  return () => new Tokenizer(json, config);
};
const lines = (file: string, n: number) =>
  readFileSync(join(sharedDir, 'data', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, n);
const EDGES = ['', ' ', 'a', '  two  spaces', 'Zürich naïve café 🙂 東京', 'lambda x: x ** 2\n\tindented', '<s> not special here </s>'];

describe('the two-level merge-rank lookup', () => {
  it.each([
    ['the shared model (Llama-2 BPE)', sharedModel, 'kjv-train.txt'],
    ['Qwen3 (byte-level BPE)', join(sharedDir, 'tokenizers', 'qwen3'), 'fortunes-es.txt'],
    ['Gemma-3 (BPE, byte fallback)', join(sharedDir, 'tokenizers', 'gemma3'), 'fortunes-de.txt'],
  ])(
    '%s: the same ids as the library for every text',
    (_name, dir, corpus) => {
      const make = load(dir);
      const library = make();
      const fast = withPairRanks(make());
      // It is in use: the instance has its own add_node, not the library's.
      expect(Object.hasOwn(fast.model as object, 'add_node')).toBe(true);
      expect(Object.hasOwn(library.model as object, 'add_node')).toBe(false);
      const texts = [...lines(corpus, 1500), ...EDGES];
      const differ = texts.filter(
        (t) => fast.encode(t, { add_special_tokens: false }).ids.join() !== library.encode(t, { add_special_tokens: false }).ids.join(),
      );
      expect(differ).toEqual([]);
    },
    60_000,
  );

  it('a merge listed twice takes the rank the library gives it (its last), and a non-BPE model is left alone', () => {
    // "a b" listed first and last: with its last rank, "b c" (rank 1) merges first in "abc".
    const json = {
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        vocab: { a: 0, b: 1, c: 2, ab: 3, bc: 4 },
        merges: ['a b', 'b c', 'a b'],
      },
    };
    const library = new Tokenizer(json, {});
    const fast = withPairRanks(new Tokenizer(json, {}));
    expect(library.encode('abc', { add_special_tokens: false }).tokens).toEqual(['a', 'bc']);
    expect(fast.encode('abc', { add_special_tokens: false }).tokens).toEqual(['a', 'bc']);
    const wordPiece = new Tokenizer(JSON.parse(readFileSync(join(sharedDir, 'tokenizers', 'mbert', 'tokenizer.json'), 'utf8')), {});
    expect(withPairRanks(wordPiece)).toBe(wordPiece);
    expect(Object.hasOwn(wordPiece.model as object, 'add_node')).toBe(false);
  });
});
