// Depth pruning by perplexity sensitivity (Shortened LLaMA's PPL criterion, Kim et al. 2024): each
// block is removed in turn and the perplexity of the rest measured on the calibration tokens. The
// checkpoint without a block is written by the caller (the pruning engine), so this room runs
// graphs and measures, and never prunes.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { perplexity } from '../eval/perplexity.js';
import { loadTokenizer } from '../eval/tokenizer.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { exportOnnx } from '../onnx/export.js';
import { LmSession } from '../onnx/session.js';
import type { CalibrationOptions } from './options.js';

export interface WithoutBlockOptions extends CalibrationOptions {
  tmp: string;
  /** Writes the checkpoint without block `layer` to the new folder `out`. */
  withoutBlock(layer: number, out: string): Promise<unknown>;
}

/** Perplexity of the model without block l, for each l. */
export async function perplexityWithout(dir: string, file: string, samples: number, o: WithoutBlockOptions): Promise<number[]> {
  const config = (await readCheckpointFolder(dir)).config;
  const L = Number(config.num_hidden_layers);
  const tokenizer = loadTokenizer(dir, config);
  const scores: number[] = [];
  for (let l = 0; l < L; l++) {
    o.signal?.throwIfAborted();
    const child = join(o.tmp, `without-${l}`);
    await mkdir(o.tmp, { recursive: true });
    await o.withoutBlock(l, child);
    const { modelPath } = await exportOnnx(child, `${child}-onnx`, { outputs: ['target_logprobs'] });
    const session = await LmSession.open(modelPath, { threads: o.threads });
    try {
      const [ppl] = await perplexity(
        { session, tokenizer, maxPositions: Number(config.max_position_embeddings ?? 2048) },
        { data: file, limit: samples },
      );
      scores.push(ppl!.value);
    } finally {
      await session.release();
      await rm(child, { recursive: true, force: true });
      await rm(`${child}-onnx`, { recursive: true, force: true });
    }
    o.onProgress?.('perplexity sensitivity', (l + 1) / L);
  }
  return scores;
}
