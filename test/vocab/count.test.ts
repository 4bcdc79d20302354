// Counting a corpus that names files more than once (issue 26: 30,000 names of one file held
// 30,000 copies of it and ran the job process out of memory, three times): each file is read and
// encoded once and weighted by how often it is named, so the counts equal counting every name.
import { describe, expect, it } from 'vitest';
import { countCorpus } from '../../src/vocab/select.js';
import { kjvCorpus } from '../helpers/kjvCorpus.js';

const { a, b, tokenizer } = kjvCorpus('count');

describe('a corpus naming a file more than once', () => {
  it.each(['document', 'line'] as const)('%s: [a, a, b] counts a twice, with one entry per name', (unit) => {
    const once = countCorpus(tokenizer, [a, b], undefined, unit);
    const onlyA = countCorpus(tokenizer, [a], undefined, unit);
    const twice = countCorpus(tokenizer, [a, b, a], undefined, unit);
    for (const [id, n] of once.counts) expect(twice.counts.get(id)).toBe(n + (onlyA.counts.get(id) ?? 0));
    expect(twice.counts.size).toBe(once.counts.size);
    expect(twice.total).toBe(once.total + onlyA.total);
    expect(twice.corpus.map((f) => f.file)).toEqual([a, b, a]);
    expect(twice.corpus[2]).toEqual(twice.corpus[0]);
  });

  it('30,000 names of one file: counted in about the time of one', () => {
    const started = performance.now();
    const counted = countCorpus(
      tokenizer,
      Array.from({ length: 30_000 }, () => a),
      undefined,
      'line',
    );
    const one = countCorpus(tokenizer, [a], undefined, 'line');
    expect(counted.total).toBe(one.total * 30_000);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
