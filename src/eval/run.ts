// One evaluation of a checkpoint folder: the cached ONNX graph, a session, the task, the results.

import { join } from 'node:path';
import { parseArchitecture } from '../arch/registry.js';
import { BadInputError } from '../errors.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { readDataFile } from '../formats/dataFile.js';
import { cachedOnnx } from '../onnx/cache.js';
import type { HeadOutput } from '../onnx/export.js';
import { LmSession } from '../onnx/session.js';
import { compareEncoders } from './compareEncoders.js';
import { lambada, readLambada } from './lambada.js';
import { multipleChoice, readMultipleChoice } from './multipleChoice.js';
import { perplexity, perplexityWindowing } from './perplexity.js';
import { speed } from './speed.js';
import { loadTokenizer } from './tokenizer.js';
import type { EvalRequest, EvalResult, EvalRunOptions } from './types.js';

export type { EvalRequest, EvalResult, EvalRunOptions } from './types.js';

/** The head outputs each task reads: its graph computes nothing else. */
const TASK_OUTPUTS: Record<Exclude<EvalRequest['task'], 'embedding-similarity'>, HeadOutput[]> = {
  perplexity: ['target_logprobs'],
  lambada: ['target_logprobs', 'greedy'],
  'multiple-choice': ['target_logprobs', 'greedy'],
  speed: ['greedy'],
};

export async function evaluateCheckpoint(dir: string, request: EvalRequest, options: EvalRunOptions): Promise<EvalResult[]> {
  const config = (await readCheckpointFolder(dir)).config;
  const kind = parseArchitecture(config, join(dir, 'config.json')).kind;
  if (request.task === 'embedding-similarity') return compareEncoders(dir, request, options);
  if (kind !== 'decoder') {
    throw new BadInputError('task', `${request.task} needs a causal language model; this is an ${kind} (use embedding-similarity)`);
  }
  const maxPositions = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 2048;
  if (request.task !== 'speed' && !request.data) throw new BadInputError('data', `is required for ${request.task}`);
  // The request's data and windows are read and checked before the tokenizer, the graph and a
  // session are loaded (a large model's export takes minutes): bad input is refused at once, with
  // the same error the task would give, and the task is handed what was read.
  if (request.task === 'perplexity') perplexityWindowing(request, maxPositions);
  const perplexityFile = request.task === 'perplexity' ? readDataFile(request.data!) : undefined;
  const lambadaData = request.task === 'lambada' ? readLambada(request.data!) : undefined;
  const multipleChoiceData = request.task === 'multiple-choice' ? readMultipleChoice(request.data!) : undefined;
  const tokenizer = loadTokenizer(dir, config);
  options.onProgress?.('export', 0);
  const modelPath = await cachedOnnx(dir, options.cacheDir, options.fileHashes, TASK_OUTPUTS[request.task]);
  const session = await LmSession.open(modelPath, { threads: options.threads });
  try {
    const ctx = {
      session,
      tokenizer,
      maxPositions,
      signal: options.signal,
      onProgress: (f: number) => options.onProgress?.(request.task, f),
    };
    switch (request.task) {
      case 'perplexity':
        return await perplexity(ctx, {
          data: request.data!,
          contextLength: request.contextLength,
          stride: request.stride,
          limit: request.limit,
          file: perplexityFile,
        });
      case 'lambada':
        return await lambada(ctx, { data: request.data!, limit: request.limit, read: lambadaData });
      case 'multiple-choice':
        return await multipleChoice(ctx, { data: request.data!, limit: request.limit, read: multipleChoiceData });
      case 'speed':
        return await speed(ctx, { contextLength: request.contextLength, threads: options.threads });
    }
  } finally {
    await session.release();
  }
}
