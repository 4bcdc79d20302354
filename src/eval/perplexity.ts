// Rolling perplexity over a text file (reference.json's protocol by default): each non-empty line
// is tokenised without special tokens and prefixed with BOS, the lines are concatenated into one
// stream, and every token after the first is scored exactly once. Windows of `contextLength`
// tokens start every `stride` tokens; with a stride shorter than the context, each window scores
// only its last `stride` targets and sees the tokens before them as context.
import { basename } from 'node:path';
import { BadInputError } from '../errors.js';
import { type DataFile, readDataFile } from '../formats/dataFile.js';
import { bosPrefixedStream } from './tokenStream.js';
import type { EvalContext, EvalResult } from './types.js';

export interface PerplexityOptions {
  data: string;
  contextLength?: number;
  stride?: number;
  /** Score at most this many tokens (a quick estimate). */
  limit?: number;
  batchSize?: number;
  /** `data`, already read (evaluateCheckpoint reads it before it loads the model). */
  file?: DataFile;
}

export interface Window {
  /** The tokens fed to the model. */
  input: number[];
  /** Index in `input` of the first position whose prediction is scored. */
  scoreFrom: number;
}

/**
 * The windows that score targets 1..N−1 of `tokens` once each. Window k starts at token
 * k·stride − (contextLength − stride) (the context resets there, as reference.json's protocol and
 * the strided perplexity of transformers' documentation do); the last window is shorter rather
 * than reaching back into the previous one for more context.
 */
export function rollingWindows(tokens: readonly number[], contextLength: number, stride: number): Window[] {
  const windows: Window[] = [];
  for (let a = 1; a < tokens.length; a += stride) {
    const b = Math.min(a + stride, tokens.length);
    const start = Math.max(0, a - 1 - (contextLength - stride));
    windows.push({ input: tokens.slice(start, b), scoreFrom: a - 1 - start });
  }
  return windows;
}

/** The window length and stride `o` asks for, refused when the model cannot take them. */
export function perplexityWindowing(
  o: Pick<PerplexityOptions, 'contextLength' | 'stride'>,
  maxPositions: number,
): { contextLength: number; stride: number } {
  const contextLength = o.contextLength ?? 256;
  const stride = o.stride ?? contextLength;
  if (contextLength > maxPositions)
    throw new BadInputError('contextLength', `${contextLength} is longer than the model's max_position_embeddings (${maxPositions})`);
  if (stride > contextLength) throw new BadInputError('stride', `must not exceed contextLength (${contextLength})`);
  return { contextLength, stride };
}

export async function perplexity(ctx: EvalContext, o: PerplexityOptions): Promise<EvalResult[]> {
  const { contextLength, stride } = perplexityWindowing(o, ctx.maxPositions);
  const file = o.file ?? readDataFile(o.data);
  // With a limit, the first limit + 1 tokens (limit targets); the rest of a large file is not tokenised.
  const stream = bosPrefixedStream(ctx.tokenizer, file.text, o.limit ? o.limit + 1 : undefined);
  if (stream.length < 2) throw new BadInputError('data', `${o.data} gives fewer than two tokens`);
  const windows = rollingWindows(stream, contextLength, stride);
  let nll = 0;
  let scored = 0;
  // One window a run by default: every window's log-probabilities are the same bits at any batch
  // size (checked for each fixture family and the shared model at batch 1, 3 and 4), and a batch
  // of four made onnxruntime fault in a fresh [4, 256, vocab] set of buffers each run: 2,048
  // tokens of the shared model took 0.75-1.05 CPU-s and 143,000 page faults at 4, 0.58-0.60 and
  // 36,000 at 1 (loaded), in half the memory.
  const batchSize = o.batchSize ?? 1;
  // The stage starts now, not when the first batch is done (a large model's batch takes minutes).
  ctx.onProgress?.(0);
  for (let i = 0; i < windows.length; ) {
    ctx.signal?.throwIfAborted();
    // Equal lengths batch together; the last, shorter window runs alone.
    const len = windows[i]!.input.length - 1;
    const batch: Window[] = [];
    while (i < windows.length && batch.length < batchSize && windows[i]!.input.length - 1 === len) batch.push(windows[i++]!);
    const out = await ctx.session.run(
      batch.map((w) => w.input.slice(0, len)),
      ['target_logprobs'],
      batch.map((w) => w.input.slice(1)),
    );
    const lp = out.target_logprobs!.data as Float32Array;
    batch.forEach((w, b) => {
      for (let p = w.scoreFrom; p < len; p++) {
        nll -= lp[b * len + p]!;
        scored++;
      }
    });
    ctx.onProgress?.(i / windows.length);
  }
  const meanNll = nll / scored;
  const settings = {
    contextLength,
    stride,
    tokens: scored,
    bos: ctx.tokenizer.bos !== null,
    datasetSha256: file.sha256,
    protocol: 'bos-prefixed-lines',
  };
  return [
    { task: 'perplexity', metric: 'perplexity', value: Math.exp(meanNll), dataset: basename(o.data), settings },
    { task: 'perplexity', metric: 'mean_nll', value: meanNll, dataset: basename(o.data), settings },
  ];
}
