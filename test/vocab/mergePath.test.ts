// The merge path of a token: the symbols BPE passes through when it builds the token from its own
// characters, lowest-ranked merge first and leftmost on ties (worked by hand below).
import { describe, expect, it } from 'vitest';
import { mergePath } from '../../src/vocab/select.js';

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
});
