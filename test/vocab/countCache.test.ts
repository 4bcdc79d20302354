// Corpus counts kept between runs (src/vocab/countCache.ts): a hit returns what counting would,
// for this run's file paths, and anything the count depends on (the corpus bytes, the tokenizer,
// the unit) changing gives a new count. Sixty verses: the cache's keying and round trip do
// not depend on the corpus size.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countCorpusCached } from '../../src/vocab/countCache.js';
import { countCorpus } from '../../src/vocab/select.js';
import { kjvCorpus } from '../helpers/kjvCorpus.js';

const { tmp, a, b, tokenizer } = kjvCorpus('count-cache');
const stored = (cache: string) => readdirSync(join(cache, 'corpus-counts')).filter((f) => f.endsWith('.json'));

/** The count as plain data, the Map's entries in their order included. */
const plain = (c: ReturnType<typeof countCorpus>) => ({ ...c, counts: [...c.counts] });

describe('corpus counts kept between runs', () => {
  it.each(['document', 'line'] as const)('%s: the stored count equals a fresh one, under the paths of the run that reads it', (unit) => {
    const cache = join(tmp, `cache-${unit}`);
    const fresh = countCorpus(tokenizer, [a, b, a], undefined, unit);
    const first = countCorpusCached(tokenizer, [a, b, a], undefined, unit, cache);
    expect(plain(first)).toEqual(plain(fresh));
    expect(stored(cache)).toHaveLength(1);

    // Another job's private copies of the same files: same bytes, other paths.
    const a2 = join(tmp, `a-copy-${unit}.txt`);
    const b2 = join(tmp, `b-copy-${unit}.txt`);
    writeFileSync(a2, readFileSync(a));
    writeFileSync(b2, readFileSync(b));
    let progress = 0;
    const hit = countCorpusCached(tokenizer, [a2, b2, a2], (f) => (progress = f), unit, cache);
    expect(stored(cache)).toHaveLength(1);
    expect(plain(hit)).toEqual(plain(countCorpus(tokenizer, [a2, b2, a2], undefined, unit)));
    expect(hit.corpus.map((c) => c.file)).toEqual([a2, b2, a2]);
    expect(progress).toBe(1);
  });

  it('a hit is read, not counted again; other bytes, order, unit or tokenizer are counted anew', () => {
    const cache = join(tmp, 'cache-keys');
    const fresh = countCorpusCached(tokenizer, [a, b], undefined, 'line', cache);
    // Mark the stored count: a later call that returns the mark read it instead of counting.
    const [name] = stored(cache);
    const path = join(cache, 'corpus-counts', name!);
    const marked = JSON.parse(readFileSync(path, 'utf8')) as { total: number };
    writeFileSync(path, JSON.stringify({ ...marked, total: -1 }));
    expect(countCorpusCached(tokenizer, [a, b], undefined, 'line', cache).total).toBe(-1);

    const edited = join(tmp, 'a-edited.txt');
    writeFileSync(edited, `${readFileSync(a, 'utf8')}\nAnd it came to pass.`);
    const others = [
      countCorpusCached(tokenizer, [edited, b], undefined, 'line', cache),
      countCorpusCached(tokenizer, [b, a], undefined, 'line', cache),
      countCorpusCached(tokenizer, [a, b], undefined, 'document', cache),
      countCorpusCached({ ...tokenizer, config: { ...tokenizer.config, model_max_length: 17 } }, [a, b], undefined, 'line', cache),
    ];
    for (const c of others) expect(c.total).toBeGreaterThan(0);
    expect(others[0]!.total).toBeGreaterThan(fresh.total);
    expect(others[1]!.total).toBe(fresh.total);
    expect(stored(cache)).toHaveLength(5);
  });

  it('an unreadable stored count is counted again and replaced', () => {
    const cache = join(tmp, 'cache-torn');
    const fresh = countCorpusCached(tokenizer, [b], undefined, 'line', cache);
    const path = join(cache, 'corpus-counts', stored(cache)[0]!);
    writeFileSync(path, '{"counts": [[1, 2]');
    expect(plain(countCorpusCached(tokenizer, [b], undefined, 'line', cache))).toEqual(plain(fresh));
    expect(JSON.parse(readFileSync(path, 'utf8')).total).toBe(fresh.total);
  });
});
