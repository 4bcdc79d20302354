// When a child's result may be set beside its parent's (model page, chart frontier): same task,
// metric, dataset and settings, and the same tokenizer for per-token metrics.
import { describe, expect, it } from 'vitest';
import { comparableKey, compareWithParent } from '../../src/eval/comparable.js';

const ppl = (value: number, settings: Record<string, unknown> = { contextLength: 256, stride: 256, tokens: 3495 }) => ({
  task: 'perplexity',
  metric: 'perplexity',
  value,
  dataset: 'kjv-val.txt',
  settings,
});

describe('compareWithParent', () => {
  it('states the change, and whether it is better, under equal settings and tokenizer', () => {
    const c = compareWithParent(ppl(133.5), [ppl(128.6)], true);
    expect(c).toMatchObject({ comparable: true, parent: 128.6, better: false });
    if (c.comparable) expect(c.percent).toBeCloseTo((100 * (133.5 - 128.6)) / 128.6, 10);
    const acc = compareWithParent(
      { ...ppl(0.61), task: 'lambada', metric: 'acc' },
      [{ ...ppl(0.58), task: 'lambada', metric: 'acc' }],
      true,
    );
    expect(acc).toMatchObject({ comparable: true, better: true });
  });

  it('refuses per-token metrics across tokenizers, and different settings, with the reason', () => {
    expect(compareWithParent(ppl(90, { contextLength: 256, stride: 256, tokens: 2900 }), [ppl(128.6)], false)).toEqual({
      comparable: false,
      reason: 'a different tokenizer: a value per token is not comparable across vocabularies',
    });
    expect(compareWithParent(ppl(130, { contextLength: 512, stride: 256, tokens: 3495 }), [ppl(128.6)], true)).toEqual({
      comparable: false,
      reason: 'measured with different settings (contextLength)',
    });
    expect(compareWithParent(ppl(130), [], true)).toMatchObject({ comparable: false });
  });

  it('comparableKey: equal across token counts, apart across tokenizers only for per-token metrics', () => {
    const a = ppl(128.6);
    const b = ppl(90, { stride: 256, contextLength: 256, tokens: 2900 });
    expect(comparableKey(a, 'sha-a')).toBe(comparableKey(b, 'sha-a'));
    expect(comparableKey(a, 'sha-a')).not.toBe(comparableKey(b, 'sha-b'));
    const acc = { ...a, metric: 'acc' };
    expect(comparableKey(acc, 'sha-a')).toBe(comparableKey(acc, 'sha-b'));
    expect(comparableKey(a, 'sha-a')).not.toBe(comparableKey(ppl(1, { contextLength: 512, stride: 256 }), 'sha-a'));
  });
});
