import type { LmSession } from '../onnx/session.js';
import type { LmTokenizer } from './tokenizer.js';

/** One metric, with everything needed to compare it with another run (lm-evaluation-harness style). */
export interface EvalResult {
  task: string;
  metric: string;
  value: number;
  stderr?: number;
  dataset?: string;
  settings: Record<string, unknown>;
}

export interface EvalContext {
  session: LmSession;
  tokenizer: LmTokenizer;
  maxPositions: number;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/** One evaluation a job or `bonsai eval` runs (src/eval/run.ts). */
export interface EvalRequest {
  task: 'perplexity' | 'lambada' | 'multiple-choice' | 'speed' | 'embedding-similarity';
  data?: string;
  contextLength?: number;
  stride?: number;
  limit?: number;
}

export interface EvalRunOptions {
  cacheDir: string;
  threads: number;
  fileHashes?: Record<string, string>;
  onProgress?: (stage: string, fraction: number) => void;
  signal?: AbortSignal;
  /** embedding-similarity: the parent checkpoint to compare with, and its file hashes. */
  parentDir?: string;
  parentFileHashes?: Record<string, string>;
}
