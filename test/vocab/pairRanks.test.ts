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
      // One instance, encoded by the library as it is and then with the lookup swapped in: the
      // same merges and vocabulary on both sides, without building Gemma-3's twice (1.7 CPU-s each).
      const tok = load(dir)();
      expect(Object.hasOwn(tok.model as object, 'add_node')).toBe(false);
      const texts = [...lines(corpus, 1500), ...EDGES];
      const byLibrary = texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids.join());
      withPairRanks(tok);
      // It is in use: the instance has its own add_node, not the library's, and the second pass
      // runs it rather than the words the first pass cached (Qwen3 and Gemma-3 split text into
      // words, and the library's BPE caches each word's tokens).
      const model = tok.model as unknown as { add_node: (...a: unknown[]) => void; clear_cache(): void };
      expect(Object.hasOwn(model, 'add_node')).toBe(true);
      model.clear_cache();
      const swapped = model.add_node;
      let calls = 0;
      model.add_node = (...a: unknown[]) => {
        calls++;
        swapped(...a);
      };
      const differ = texts.filter((t, i) => tok.encode(t, { add_special_tokens: false }).ids.join() !== byLibrary[i]);
      expect(differ).toEqual([]);
      expect(calls).toBeGreaterThan(texts.length);
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
