// The real sparsity of a checkpoint's projection matrices (the attention q/k/v/o and MLP
// gate/up/down weights, which sparsity pruning acts on), counted from the stored values: zeros
// kept in dense tensors save nothing until a kernel uses them (Wanda, Sun et al. 2023: only N:M patterns have hardware support), so cards and
// `bonsai inspect` say how many there are rather than let the unchanged parameter count speak.
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { countNonZero } from './sparsity.js';

/** Tensor names of the matrices sparsity pruning acts on. */
export const PROJECTION_WEIGHT = /\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$/;

export interface MeasuredSparsity {
  /** Values in the projection matrices. */
  targetParameters: number;
  nonZero: number;
}

export async function measureSparsity(dir: string, signal?: AbortSignal): Promise<MeasuredSparsity> {
  const ckpt = await CheckpointTensors.open(dir);
  try {
    let targetParameters = 0;
    let nonZero = 0;
    for (const t of ckpt.infos().filter((i) => PROJECTION_WEIGHT.test(i.name))) {
      signal?.throwIfAborted();
      targetParameters += t.shape.reduce((a, b) => a * b, 1);
      nonZero += countNonZero(await ckpt.readBytes(t.name), t.dtype);
    }
    return { targetParameters, nonZero };
  } finally {
    await ckpt.close();
  }
}
