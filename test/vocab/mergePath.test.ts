// The merge path of a token: the symbols BPE passes through when it builds the token from its own
// characters, lowest-ranked merge first and leftmost on ties (worked by hand below).
import { describe, expect, it } from 'vitest';
import { mergePath, mergeRanks } from '../../src/vocab/select.js';

const ranks = (merges: Array<[string, string]>) => new Map(merges.map(([a, b], i) => [`${a}\u0000${b}`, i]));

describe('mergePath', () => {
  it('follows the ranks, not the order of the characters', () => {
    // "abc": (b,c) has rank 0, so bc is made first, then a+bc; ab is never made.
    const path = mergePath(
      'abc',
      ranks([
        ['b', 'c'],
        ['a', 'b'],
        ['a', 'bc'],
      ]),
    );
    expect(path).toEqual({ symbols: ['a', 'b', 'c', 'bc', 'abc'], reaches: true });
  });

  it('merges the leftmost of equal pairs first', () => {
    // "aaa": (a,a) at 0 makes "aa"+"a"; then (aa,a) makes "aaa"; "a"+"aa" is never formed.
    const path = mergePath(
      'aaa',
      ranks([
        ['a', 'a'],
        ['aa', 'a'],
        ['a', 'aa'],
      ]),
    );
    expect(path).toEqual({ symbols: ['a', 'aa', 'aaa'], reaches: true });
  });

  it('says when a token is not built from its own characters', () => {
    expect(mergePath('ab', ranks([['b', 'c']])).reaches).toBe(false);
  });

  it('spells the first symbols with continuing_subword_prefix and end_of_word_suffix, as merge_word does', () => {
    // tokenizers' models/bpe/model.rs: every character but a word's first carries the prefix, the
    // last carries the suffix, and a merge strips the prefix from its right part.
    const word = { prefix: '##', suffix: '' };
    const merges = ranks([
      ['a', '##b'],
      ['ab', '##c'],
      ['##b', '##c'],
    ]);
    expect(mergePath('abc', merges, word)).toEqual({ symbols: ['a', '##b', '##c', 'ab', 'abc'], reaches: true });
    expect(mergePath('##bc', merges, word)).toEqual({ symbols: ['##b', '##c', '##bc'], reaches: true });
    expect(mergePath('ab</w>', ranks([['a', 'b</w>']]), { prefix: '', suffix: '</w>' })).toEqual({
      symbols: ['a', 'b</w>', 'ab</w>'],
      reaches: true,
    });
  });

  it('takes the last rank of a merge listed twice, as the tokenizers crate and tokenizers.js do', () => {
    // (a, b) at 0 and again at 2: its rank is 2, so (b, c) at 1 goes first in "abc".
    const rank = mergeRanks({
      merges: [
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'b'],
        ['a', 'bc'],
      ],
    });
    expect(rank.get('a\u0000b')).toBe(2);
    expect(mergePath('abc', rank).symbols).toEqual(['a', 'b', 'c', 'bc', 'abc']);
  });
});
