// Perplexity runs one window at a time by default (src/eval/perplexity.ts): the figures it stores
// and the README quotes were measured four windows a run, so every window must score the same
// bits whatever the batch. Checked on the fused graphs of a plain Llama and of Mistral (its 64-token
// sliding window inside the 96-token windows), with windows that batch fully, partly, and overlap
// (stride < context). Small fixtures: the property is per window, not per model size.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { perplexity } from '../../src/eval/perplexity.js';
import { loadTokenizer } from '../../src/eval/tokenizer.js';
import { readCheckpointFolder } from '../../src/formats/checkpoint/folder.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { buildCheckpoint, sharedDir } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('bonsai-ppl-batch-');
const data = join(sharedDir, 'data', 'kjv-val.txt');

describe('perplexity at any batch size', () => {
  it.each(['llama', 'mistral'] as const)('%s: batches of 1, 3 and 4 windows give the same mean NLL, bit for bit', async (family) => {
    const dir = join(tmp, family);
    const config = await buildCheckpoint(family, dir);
    const { modelPath } = await exportOnnx(dir, join(tmp, `${family}-onnx`), { outputs: ['target_logprobs'] });
    const session = await LmSession.open(modelPath, { threads: 2 });
    try {
      const ctx = {
        session,
        tokenizer: loadTokenizer(dir, (await readCheckpointFolder(dir)).config),
        maxPositions: Number(config.max_position_embeddings),
      };
      for (const [contextLength, stride] of [
        [96, 96],
        [96, 40],
      ]) {
        const nll = async (batchSize: number) =>
          (await perplexity(ctx, { data, limit: 600, contextLength, stride, batchSize })).find((r) => r.metric === 'mean_nll')!.value;
        const one = await nll(1);
        expect(Number.isFinite(one)).toBe(true);
        expect(await nll(3)).toBe(one);
        expect(await nll(4)).toBe(one);
      }
    } finally {
      await session.release();
    }
  });
});
