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
