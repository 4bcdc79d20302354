// The ONNX encoder graph against the independent TypeScript forward pass (test/helpers/
// encoderReference.ts), on random BERT and XLM-R checkpoints and a padded batch: hidden states,
// mean pooling and masked-LM logits.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { buildEncoderCheckpoint, type EncoderFixture } from '../fixtures/encoders.js';
import { referenceEncoder } from '../helpers/encoderReference.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('encoder-graph-');

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('ONNX encoder graph', () => {
  // Row 2 is padded: the mask must keep its padding out of every other position and of the pool.
  const cases: Array<[EncoderFixture, number[][]]> = [
    [
      'bert-mlm',
      [
        [101, 20220, 10330, 117, 224, 102],
        [101, 10672, 10298, 102, 0, 0],
      ],
    ],
    [
      'xlm-roberta-mlm',
      [
        [0, 47958, 4, 3936, 17555, 2],
        [0, 1858, 443, 2, 1, 1],
      ],
    ],
    [
      'xlm-roberta-sentence-transformer',
      [
        [0, 5768, 5, 2, 1],
        [0, 47958, 4, 3936, 2],
      ],
    ],
  ];

  it.each(cases)('%s: hidden states, mean pooling and masked-LM logits equal the reference within 1e-4', async (fixture, ids) => {
    const dir = join(tmp, fixture);
    await buildEncoderCheckpoint(fixture, dir, { seed: 7 });
    const pad = fixture === 'bert-mlm' ? 0 : 1;
    const mask = ids.map((r) => r.map((id, s) => (s > 0 && id === pad ? 0 : 1)));
    const { modelPath } = await exportOnnx(dir, join(tmp, `${fixture}-onnx`));
    const session = await LmSession.open(modelPath, { threads: 1 });
    try {
      const mlm = session.outputNames.includes('mlm_logits');
      expect(mlm).toBe(fixture !== 'xlm-roberta-sentence-transformer');
      const out = await session.runInputs({ input_ids: ids, attention_mask: mask }, [
        'last_hidden_state',
        'pooled_mean',
        ...(mlm ? ['mlm_logits'] : []),
      ]);
      const ref = await referenceEncoder(dir, ids, mask);
      const H = 32;
      const seq = ids[0]!.length;
      const hidden = out.last_hidden_state!.data as Float32Array;
      const pooled = out.pooled_mean!.data as Float32Array;
      for (let b = 0; b < ids.length; b++) {
        for (let s = 0; s < seq; s++) {
          if (!mask[b]![s]) continue;
          expect(maxAbsDiff(hidden.subarray((b * seq + s) * H, (b * seq + s + 1) * H), ref.hidden[b]![s]!)).toBeLessThan(1e-4);
        }
        expect(maxAbsDiff(pooled.subarray(b * H, (b + 1) * H), ref.pooledMean[b]!)).toBeLessThan(1e-4);
      }
      if (mlm) {
        const logits = out.mlm_logits!.data as Float32Array;
        const V = out.mlm_logits!.dims[2]!;
        for (let b = 0; b < ids.length; b++) {
          for (let s = 0; s < seq; s++) {
            if (!mask[b]![s]) continue;
            expect(maxAbsDiff(logits.subarray((b * seq + s) * V, (b * seq + s + 1) * V), ref.mlmLogits![b]![s]!)).toBeLessThan(1e-4);
          }
        }
      }
    } finally {
      await session.release();
    }
  });

  it('T5 has no graph yet, and says so', async () => {
    const dir = join(tmp, 't5');
    await buildEncoderCheckpoint('t5', dir);
    await expect(exportOnnx(dir, join(tmp, 't5-onnx'))).rejects.toThrow(
      /t5 is an encoder-decoder; Bonsai builds ONNX graphs for decoders and BERT-style encoders only/,
    );
  });
});
