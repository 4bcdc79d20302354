// Word-sized BPE input (src/vocab/wordChunks.ts) gives the library's own ids: on the shared
// Llama-2-style tokenizer over whole files (German and Spanish ones too: umlauts, accents and
// byte fallback), multi-line text and odd spacing; and a tokenizer whose merges cross a cut, where
// cutting would change the ids, is left as it is. Words remembered for Unigram and WordPiece
// models (src/vocab/wordMemo.ts) give the library's own ids too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { readTokenizerFilesSync } from '../../src/formats/checkpoint/tokenizerFiles.js';
import { mergesStayInPieces, withWordChunks } from '../../src/vocab/wordChunks.js';
import { withWordMemo } from '../../src/vocab/wordMemo.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';

const ids = (tok: Tokenizer, text: string) => tok.encode(text, { add_special_tokens: false }).ids;

describe('word-sized BPE input', () => {
  it('the shared tokenizer: the same ids as the library on every line of kjv-val, 1,000 lines each of the fortunes, and odd text', () => {
    const files = readTokenizerFilesSync(sharedModel, 'the test');
    const plain = new Tokenizer(files.json, files.config);
    const chunked = withWordChunks(new Tokenizer(files.json, files.config), files.json);
    // The cut is in use (a tokenizer left as it is would pass trivially).
    expect(chunked.model.encode).not.toBe(plain.model.encode);
    const text = (f: string) => readFileSync(join(sharedDir, 'data', f), 'utf8');
    const lines = [
      ...text('kjv-val.txt').split('\n'),
      ...text('fortunes-de.txt').split('\n').slice(0, 1000),
      ...text('fortunes-es.txt').split('\n').slice(0, 1000),
      '  double  spaces  ',
      '\u2581literal \u2581marks\u2581\u2581 here',
      'tab\tand\u00a0no-break space',
      ' leading',
      'trailing ',
      'x',
      '',
      text('kjv-val.txt').split('\n').slice(0, 50).join('\n'),
    ];
    const differ = lines.filter((l) => ids(chunked, l).join() !== ids(plain, l).join());
    expect(differ).toEqual([]);
  });

  it('merges that join across a cut leave the tokenizer as it is', () => {
    // "a b" normalises to "▁a▁b"; the merges build "a▁" then "a▁b", across the cut before the second "▁".
    const json = {
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Prepend', prepend: '\u2581' },
          { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
        ],
      },
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
      model: {
        type: 'BPE',
        vocab: { '\u2581': 0, a: 1, b: 2, 'a\u2581': 3, 'a\u2581b': 4 },
        merges: [
          ['a', '\u2581'],
          ['a\u2581', 'b'],
        ],
      },
    };
    expect(mergesStayInPieces(json.model.merges)).toBe(false);
    expect(mergesStayInPieces([['\u2581', 'a']])).toBe(true);
    const plain = new Tokenizer(json, {});
    const guarded = withWordChunks(new Tokenizer(json, {}), json);
    expect(guarded.model.encode).toBe(plain.model.encode);
    expect(ids(guarded, 'a b')).toEqual([0, 4]);
    // What cutting would have given: "▁a" and "▁b" merged apart.
    expect(ids(plain, 'a').concat(ids(plain, 'b'))).toEqual([0, 1, 0, 2]);
  });
});

describe('words remembered for Unigram and WordPiece models', () => {
  const text = (f: string) => readFileSync(join(sharedDir, 'data', f), 'utf8');
  // Each corpus's lines seen twice (the second time every word is remembered), texts of many lines,
  // unknown characters (fused into one unknown piece after the model) and odd spacing.
  const texts = [
    ...text('fortunes-de.txt').split('\n').slice(0, 1000),
    ...text('fortunes-es.txt').split('\n').slice(0, 1000),
    text('fortunes-de.txt').split('\n').slice(0, 200).join('\n'),
    text('fortunes-es.txt').split('\n').slice(0, 200).join('\n'),
    ...text('fortunes-de.txt').split('\n').slice(0, 300),
    'Zürich, 東京 and 東京タワー 🙂🙂 again 東京',
    '  double  spaces  ',
    'tab\tand\u00a0no-break space',
    'x',
    '',
  ];

  it.each([
    ['t5-small', 'tokenize'],
    ['mbert', 'encode'],
  ] as const)('%s: the same ids as the library on 2,300 lines, two 200-line texts and odd text', (name, method) => {
    const files = readTokenizerFilesSync(join(sharedDir, 'tokenizers', name), 'the test');
    const plain = new Tokenizer(files.json, files.config);
    const remembering = withWordMemo(new Tokenizer(files.json, files.config));
    // The memo is in use (a model left as it is would pass trivially).
    const model = (t: Tokenizer) => t.model as unknown as Record<string, unknown>;
    expect(Object.hasOwn(model(remembering), method)).toBe(true);
    expect(Object.hasOwn(model(plain), method)).toBe(false);
    const differ = texts.filter((t) => ids(remembering, t).join() !== ids(plain, t).join());
    expect(differ).toEqual([]);
  });

  it('a BPE model is left as it is', () => {
    const files = readTokenizerFilesSync(sharedModel, 'the test');
    const tok = new Tokenizer(files.json, files.config);
    const { encode } = tok.model;
    expect(withWordMemo(tok).model.encode).toBe(encode);
    expect(Object.hasOwn(tok.model as object, 'tokenize')).toBe(false);
  });
});
