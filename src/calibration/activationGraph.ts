// The checkpoint's graph with its activation outputs (src/onnx/export.ts `activations`), opened
// for a calibration pass: what the passes of the pruning methods run their tokens through, so
// that pruning/ reaches onnxruntime only through this room.
import { exportOnnx } from '../onnx/export.js';
import { LmSession, type Outputs, type WeightFeeds } from '../onnx/session.js';
import type { CalibrationOptions } from './options.js';

export type { Outputs, WeightFeeds } from '../onnx/session.js';

export interface ActivationGraph {
  /** The named activation outputs of one batch of token windows; `weights` replace the checkpoint's. */
  run(ids: number[][], outputs: string[], weights?: WeightFeeds): Promise<Outputs>;
  release(): Promise<void>;
}

/** Exports the activation graph of the checkpoint in `dir` into `graphDir` and opens it. */
export async function openActivationGraph(dir: string, graphDir: string, o: CalibrationOptions): Promise<ActivationGraph> {
  o.onProgress?.('export', 0);
  const { modelPath } = await exportOnnx(dir, graphDir, { activations: true, outputs: [] });
  const session = await LmSession.open(modelPath, { threads: o.threads });
  return {
    run: (ids, outputs, weights) => session.run(ids, outputs, undefined, weights),
    release: () => session.release(),
  };
}
