import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { referenceLogits } from './reference.js';

// reference.json was computed by an independent PyTorch implementation (README of the model).
const LOGIT_TOLERANCE = 1e-3;

describe('the TypeScript reference forward pass', () => {
  it('reproduces the probe logits and argmax of reference.json', async () => {
    const ref = JSON.parse(readFileSync(join(sharedModel, 'reference.json'), 'utf8')).probe as {
      input_ids: number[];
      logits_first5_each_position: number[][];
      argmax_each_position: number[];
    };
    const logits = await referenceLogits(sharedModel, ref.input_ids);
    logits.forEach((row, pos) => {
      for (let i = 0; i < 5; i++) expect(Math.abs(row[i]! - ref.logits_first5_each_position[pos]![i]!)).toBeLessThan(LOGIT_TOLERANCE);
      let best = 0;
      for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
      expect(best).toBe(ref.argmax_each_position[pos]);
    });
  });
});
