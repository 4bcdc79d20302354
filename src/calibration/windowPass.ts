// What every whole-model calibration pass shares (block influence and input norms, Minitron's head
// and hidden-channel importances): the checkpoint's activation graph, exported into the cache for
// the pass and removed after it, run over the calibration tokens one window at a time.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import type { ArchConfig } from '../arch/types.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { checkpointKey } from '../onnx/cache.js';
import { type Outputs, openActivationGraph } from './activationGraph.js';
import type { CalibrationOptions } from './options.js';
import { calibrationTokens } from './tokens.js';

/** Tokens per window: each is one sequence (Minitron's "sequence" in its aggregation study, §4). */
export const CALIBRATION_WINDOW = 256;

export interface WindowPass<T> {
  /** The activation outputs each window asks for. */
  outputs: string[];
  /** One window's outputs; `ids` its tokens. */
  window(out: Outputs, ids: number[]): void;
  /** What the pass gives once every window has run. */
  done(): T;
}

/**
 * Runs the pass `start` builds for the checkpoint's architecture over the first `samples` tokens of
 * `file`; `name` names its graph's cache folder.
 */
export async function windowPass<T>(
  dir: string,
  file: string,
  samples: number,
  o: CalibrationOptions,
  name: string,
  start: (arch: ArchConfig) => WindowPass<T>,
): Promise<T> {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  const arch = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
  await ckpt.close();
  const key = await checkpointKey(dir, o.fileHashes);
  const graphDir = join(o.cacheDir, `${key.slice(0, 32)}-${name}`);
  const session = await openActivationGraph(dir, graphDir, o);
  const tokens = calibrationTokens(dir, folder.config, file, samples);
  const pass = start(arch);
  try {
    for (let at = 0; at < tokens.length; at += CALIBRATION_WINDOW) {
      o.signal?.throwIfAborted();
      const ids = tokens.slice(at, at + CALIBRATION_WINDOW);
      pass.window(await session.run([ids], pass.outputs), ids);
      o.onProgress?.('calibration', Math.min(1, (at + CALIBRATION_WINDOW) / tokens.length));
    }
  } finally {
    await session.release();
    await rm(graphDir, { recursive: true, force: true });
  }
  return pass.done();
}
