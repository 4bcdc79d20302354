// An encoder checkpoint beside its parent: both graphs (cached), both tokenizers, then the
// embedding-similarity task.
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import type { ArchConfig } from '../arch/types.js';
import { BadInputError } from '../errors.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { poolingOf } from '../formats/checkpoint/sentenceTransformers.js';
import { cachedOnnx } from '../onnx/cache.js';
import { LmSession } from '../onnx/session.js';
import { type EncoderSide, embeddingSimilarity, loadEncoderTokenizer } from './embeddingSimilarity.js';
import type { EvalRequest, EvalResult, EvalRunOptions } from './types.js';

async function encoderArch(dir: string, field: string): Promise<ArchConfig> {
  const config = (await readCheckpointFolder(dir)).config;
  const arch = alignPrefix(parseArchitecture(config, join(dir, 'config.json')), []);
  if (arch.kind !== 'encoder') {
    throw new BadInputError(
      field,
      `embedding-similarity compares BERT-style encoders; ${dir.split('/').pop()} is ${arch.kind === 'decoder' ? 'a' : 'an'} ${arch.kind} (${arch.family})`,
    );
  }
  return arch;
}

async function openSide(dir: string, arch: ArchConfig, options: EvalRunOptions, hashes?: Record<string, string>): Promise<EncoderSide> {
  const modelPath = await cachedOnnx(dir, options.cacheDir, hashes);
  return {
    session: await LmSession.open(modelPath, { threads: options.threads }),
    tokenizer: loadEncoderTokenizer(dir),
    padId: arch.encoder!.padTokenId,
    vocabSize: arch.vocabSize,
    // XLM-R's position table starts at padding_idx + 1.
    maxLength: arch.maxPositionEmbeddings - arch.encoder!.positionOffset,
    pooling: await poolingOf(dir),
  };
}

export async function compareEncoders(dir: string, request: EvalRequest, options: EvalRunOptions): Promise<EvalResult[]> {
  if (!options.parentDir) throw new BadInputError('parent', 'embedding-similarity compares a model with its parent; the model has none');
  if (!request.data) throw new BadInputError('data', 'is required for embedding-similarity (a text file, one sentence per line)');
  const childArch = await encoderArch(dir, 'model');
  const parentArch = await encoderArch(options.parentDir, 'parent');
  options.onProgress?.('export', 0);
  const parent = await openSide(options.parentDir, parentArch, options, options.parentFileHashes);
  try {
    const child = await openSide(dir, childArch, options, options.fileHashes);
    try {
      // Both read the same text at the same length, or the comparison measures truncation.
      const maxLength = Math.min(parent.maxLength, child.maxLength);
      return await embeddingSimilarity(
        { ...parent, maxLength },
        { ...child, maxLength },
        {
          data: request.data,
          limit: request.limit,
          signal: options.signal,
          onProgress: (f) => options.onProgress?.('embedding-similarity', f),
        },
      );
    } finally {
      await child.session.release();
    }
  } finally {
    await parent.session.release();
  }
}
