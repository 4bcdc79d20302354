// LAMBADA-style last-word prediction (lm-evaluation-harness): context = the text without its
// last word, target = " " + last word; acc = every target token is the greedy prediction;
// perplexity = exp(−mean over documents of the target's log-likelihood).
import { basename } from 'node:path';
import { type DataFile, readDataFile, readJsonl } from '../formats/dataFile.js';
import { scoreContinuations } from './loglikelihood.js';
import type { EvalContext, EvalResult } from './types.js';

export interface LambadaData {
  file: DataFile;
  docs: Array<{ text: string }>;
}

/** The documents of a LAMBADA file, each checked. */
export function readLambada(data: string): LambadaData {
  const file = readDataFile(data);
  const docs = readJsonl<{ text: string }>(file, (r) =>
    typeof r.text !== 'string' || !/\S\s+\S/.test(r.text) ? 'needs "text" with at least two words' : null,
  );
  return { file, docs };
}

/** `read`: `data`, already read (evaluateCheckpoint reads it before it loads the model). */
export async function lambada(ctx: EvalContext, o: { data: string; limit?: number; read?: LambadaData }): Promise<EvalResult[]> {
  const { file, docs } = o.read ?? readLambada(o.data);
  const items = (o.limit ? docs.slice(0, o.limit) : docs).map((d) => {
    const text = d.text.trimEnd();
    const cut = text.search(/\s+\S+$/);
    return { context: text.slice(0, cut), continuation: ` ${text.slice(cut).trim()}` };
  });
  const scores = [];
  ctx.onProgress?.(0);
  for (let i = 0; i < items.length; i += 16) {
    scores.push(...(await scoreContinuations(ctx, items.slice(i, i + 16))));
    ctx.onProgress?.(Math.min(1, (i + 16) / items.length));
  }
  const acc = scores.filter((s) => s.greedy).length / scores.length;
  const ppl = Math.exp(-scores.reduce((a, s) => a + s.logprob, 0) / scores.length);
  const settings = { samples: scores.length, datasetSha256: file.sha256 };
  const dataset = basename(o.data);
  return [
    {
      task: 'lambada',
      metric: 'acc',
      value: acc,
      stderr: Math.sqrt((acc * (1 - acc)) / Math.max(1, scores.length - 1)),
      dataset,
      settings,
    },
    { task: 'lambada', metric: 'perplexity', value: ppl, dataset, settings },
  ];
}
