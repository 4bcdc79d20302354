// `embedding-similarity`: how close a child encoder's sentence embeddings are to its parent's, line
// by line over a text file (the check MTEB users make after trimming a multilingual encoder): the
// cosine between pooled embeddings, each model reading the line through its own tokenizer. Lines
// whose tokens all survive a vocabulary trim give a cosine of 1 up to rounding; with masked-LM heads
// the logits at kept ids are compared too.
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointError } from '../formats/checkpoint/folder.js';
import type { Pooling } from '../formats/checkpoint/sentenceTransformers.js';
import { readTokenizerFilesSync } from '../formats/checkpoint/tokenizerFiles.js';
import { readDataFile } from '../formats/dataFile.js';
import type { LmSession } from '../onnx/session.js';
import { sha256File } from '../sha256.js';
import type { EvalResult } from './types.js';

export interface EncoderSide {
  session: LmSession;
  tokenizer: Tokenizer;
  padId: number;
  vocabSize: number;
  /** Longest input, special tokens included (position table rows left after XLM-R's offset). */
  maxLength: number;
  pooling: Pooling;
}

export function loadEncoderTokenizer(dir: string): Tokenizer {
  const files = readTokenizerFilesSync(dir, 'evaluation');
  try {
    return new Tokenizer(files.json, files.config);
  } catch (err) {
    throw new CheckpointError(`${dir}/tokenizer.json`, `the tokenizer cannot be loaded (${(err as Error).message})`);
  }
}

/** The line with the model's special tokens ([CLS] … [SEP], <s> … </s>), cut to fit, its last token kept. */
function encode(side: EncoderSide, text: string): { ids: number[]; tokens: string[] } {
  const e = side.tokenizer.encode(text, { add_special_tokens: true });
  if (e.ids.length <= side.maxLength) return { ids: e.ids, tokens: e.tokens };
  const cut = side.maxLength - 1;
  return { ids: [...e.ids.slice(0, cut), e.ids.at(-1)!], tokens: [...e.tokens.slice(0, cut), e.tokens.at(-1)!] };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** Logit values one run may return: 2^24 floats (64 MiB), whatever the vocabulary (XLM-R: 250,002). */
const MAX_LOGITS = 2 ** 24;

/**
 * Pooled embeddings (and masked-LM logits) of a batch of lines, padded to the longest; with logits
 * the batch is run in slices small enough that [rows, seq, vocab] stays under MAX_LOGITS.
 */
async function embed(side: EncoderSide, rows: number[][], withLogits: boolean) {
  const seq = Math.max(...rows.map((r) => r.length));
  const pooledName = side.pooling === 'cls' ? 'pooled_cls' : 'pooled_mean';
  const per = withLogits ? Math.max(1, Math.floor(MAX_LOGITS / (seq * side.vocabSize))) : rows.length;
  const vectors: Float32Array[] = [];
  const logits: Float32Array[] = [];
  for (let start = 0; start < rows.length; start += per) {
    const part = rows.slice(start, start + per);
    const ids = part.map((r) => [...r, ...Array(seq - r.length).fill(side.padId)]);
    const mask = part.map((r) => [...r.map(() => 1), ...Array(seq - r.length).fill(0)]);
    const out = await side.session.runInputs(
      { input_ids: ids, attention_mask: mask },
      withLogits ? [pooledName, 'mlm_logits'] : [pooledName],
    );
    const H = out[pooledName]!.dims[1]!;
    const pooled = out[pooledName]!.data as Float32Array;
    part.forEach((_, b) => {
      vectors.push(pooled.slice(b * H, (b + 1) * H));
      if (withLogits) {
        const span = seq * side.vocabSize;
        logits.push((out.mlm_logits!.data as Float32Array).subarray(b * span, (b + 1) * span));
      }
    });
  }
  return { seq, vectors, logits };
}

const BATCH = 16;

export interface EmbeddingSimilarityOptions {
  data: string;
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export async function embeddingSimilarity(parent: EncoderSide, child: EncoderSide, o: EmbeddingSimilarityOptions): Promise<EvalResult[]> {
  // Through the one data-file reader: non-blocking, fstat-checked, bounded, strict UTF-8.
  let lines = readDataFile(o.data)
    .text.split(/\r?\n/)
    .filter((l) => l.trim().length > 0);
  if (o.limit) lines = lines.slice(0, o.limit);
  if (!lines.length) throw new CheckpointError(o.data, 'has no non-empty lines to embed');
  const withLogits = parent.session.outputNames.includes('mlm_logits') && child.session.outputNames.includes('mlm_logits');
  // Child id → parent id for the logits comparison, by token string.
  const childToParent = new Map<number, number>();
  const parentIdOf = (id: number): number => {
    const known = childToParent.get(id);
    if (known !== undefined) return known;
    const token = child.tokenizer.id_to_token(id);
    const from = token === undefined ? -1 : (parent.tokenizer.token_to_id(token) ?? -1);
    childToParent.set(id, from);
    return from;
  };
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let identical = 0;
  let maxLogitDiff = 0;
  for (let start = 0; start < lines.length; start += BATCH) {
    o.signal?.throwIfAborted();
    const batch = lines.slice(start, start + BATCH);
    const p = batch.map((l) => encode(parent, l));
    const c = batch.map((l) => encode(child, l));
    const pe = await embed(
      parent,
      p.map((e) => e.ids),
      withLogits,
    );
    const ce = await embed(
      child,
      c.map((e) => e.ids),
      withLogits,
    );
    batch.forEach((_, b) => {
      const cos = cosine(pe.vectors[b]!, ce.vectors[b]!);
      sum += cos;
      min = Math.min(min, cos);
      const same = p[b]!.tokens.length === c[b]!.tokens.length && p[b]!.tokens.every((t, i) => t === c[b]!.tokens[i]);
      if (!same) return;
      identical++;
      if (!withLogits) return;
      const pl = pe.logits[b]!;
      const cl = ce.logits[b]!;
      for (let s = 0; s < c[b]!.ids.length; s++) {
        for (let id = 0; id < child.vocabSize; id++) {
          const from = parentIdOf(id);
          if (from < 0) continue;
          maxLogitDiff = Math.max(maxLogitDiff, Math.abs(pl[s * parent.vocabSize + from]! - cl[s * child.vocabSize + id]!));
        }
      }
    });
    o.onProgress?.(Math.min(1, (start + batch.length) / lines.length));
  }
  const settings = {
    pooling: child.pooling,
    lines: lines.length,
    maxLength: child.maxLength,
    datasetSha256: await sha256File(o.data),
  };
  const dataset = o.data.split('/').pop();
  const results: EvalResult[] = [
    { task: 'embedding-similarity', metric: 'cosine_mean', value: sum / lines.length, dataset, settings },
    { task: 'embedding-similarity', metric: 'cosine_min', value: min, dataset, settings },
    { task: 'embedding-similarity', metric: 'identical_tokenization', value: identical / lines.length, dataset, settings },
  ];
  if (withLogits && identical > 0) {
    results.push({ task: 'embedding-similarity', metric: 'mlm_logits_max_abs_diff', value: maxLogitDiff, dataset, settings });
  }
  return results;
}
