// Merge-path symbols another merge route replaces are dropped (src/vocab/minimize.ts): worked by
// hand on a small BPE whose token abc has two producing merges, and on the shared model's Llama-2
// tokenizer, where an independent review found `oid` kept for `▁void` although `▁vo id` makes it
// too (the case it reported: "vo void" needs 268 tokens, not 269).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { readTokenizerFilesSync } from '../../src/formats/checkpoint/tokenizerFiles.js';
import { readBpe, type TokenizerJson } from '../../src/vocab/bpe.js';
import type { CorpusCount } from '../../src/vocab/count.js';
import { idMap, rewriteTokenizerConfig, rewriteTokenizerJson } from '../../src/vocab/rewrite.js';
import { countCorpus, selectTokens } from '../../src/vocab/select.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

/** abc is made by (ab c) and by (a bc); (a b) ranks first, so alone abc's path goes through ab. */
const SMALL: TokenizerJson = {
  model: { type: 'BPE', vocab: { a: 0, b: 1, c: 2, ab: 3, bc: 4, abc: 5 }, merges: ['a b', 'b c', 'ab c', 'a bc'] },
  added_tokens: [],
  normalizer: null,
  pre_tokenizer: null,
  post_processor: null,
  decoder: null,
};
const names = Object.keys(SMALL.model.vocab);

/** `words`: the corpus tokens, each counted once; `pieces`: what the BPE model was handed. */
function selectSmall(words: string[], pieces = words): string[] {
  const counts = new Map<number, number>();
  for (const w of words) counts.set(names.indexOf(w), 1);
  const counted: CorpusCount = { counts, corpus: [], total: words.length, pieces };
  return selectTokens(readBpe(SMALL), counted, { corpus: [], roundTo: 1 }, names.length).kept.map((k) => names[k]!);
}

describe('path symbols another merge route replaces', () => {
  it('abc and bc: ab goes (a b c → a bc → abc), and the trimmed tokenizer still gives abc and bc', () => {
    const kept = selectSmall(['abc', 'bc']);
    expect(kept).toEqual(['a', 'b', 'c', 'bc', 'abc']);
    const map = idMap(kept.map((t) => names.indexOf(t)));
    const trimmed = new Tokenizer(rewriteTokenizerJson(SMALL, map), {});
    for (const w of ['abc', 'bc']) expect(trimmed.encode(w, { add_special_tokens: false }).tokens).toEqual([w]);
  });

  it('abc alone: ab stays, bc is not kept, so without ab nothing makes abc', () => {
    expect(selectSmall(['abc'])).toEqual(['a', 'b', 'c', 'ab', 'abc']);
  });

  const llama = () => {
    const files = readTokenizerFilesSync(sharedModel, 'the test');
    return { json: files.json as unknown as TokenizerJson, config: files.config };
  };
  const trimTo = (text: string) => {
    const { json, config } = llama();
    const file = join(tempDir('bonsai-minimize-'), 'corpus.txt');
    writeFileSync(file, text);
    const view = readBpe(json);
    const counted = countCorpus({ json, config }, [file]);
    const kept = selectTokens(view, counted, { corpus: [file], roundTo: 1 }, 32_000).kept;
    const map = idMap(kept);
    const encode = (tok: Tokenizer) => text.split('\n').map((l) => tok.encode(l, { add_special_tokens: false }).tokens);
    const before = encode(new Tokenizer(json, config));
    const after = encode(new Tokenizer(rewriteTokenizerJson(json, map), rewriteTokenizerConfig(config, map)));
    expect(after).toEqual(before);
    return { tokens: kept.map((k) => view.tokens.get(k)), before };
  };

  it('Llama-2 on "vo void": 268 tokens, ▁vo and id kept, oid dropped, the same encoding', () => {
    const { tokens, before } = trimTo('vo void\n');
    expect(tokens).toHaveLength(268);
    for (const t of ['▁vo', '▁void', 'id']) expect(tokens).toContain(t);
    expect(tokens).not.toContain('oid');
    expect(before[0]).toEqual(['▁vo', '▁void']);
  });

  it('a piece over 128 characters is not run again: a symbol found in it stays', () => {
    // abc 43 times in one piece (no word boundary: 129 characters), and bc: run again, ab could go as above.
    expect(selectSmall(['abc', 'bc'], ['abc'.repeat(43), 'bc'])).toEqual(['a', 'b', 'c', 'ab', 'bc', 'abc']);
    expect(selectSmall(['abc', 'bc'], ['abc'.repeat(42), 'bc'])).toEqual(['a', 'b', 'c', 'bc', 'abc']);
  });
});
