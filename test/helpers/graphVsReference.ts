// A checkpoint's exported ONNX graph against the float64 reference forward pass written in the
// tests (test/helpers/reference.ts): the largest difference of any logit at any position. The
// structured methods' tests (attention heads, hidden channels) check every family's child this way.
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { referenceLogits } from './reference.js';

export async function worstLogitDiff(dir: string, onnxDir: string, ids: number[]): Promise<number> {
  const graph = await exportOnnx(dir, onnxDir, {});
  const s = await LmSession.open(graph.modelPath, { threads: 2 });
  try {
    const res = await s.run([ids], ['logits']);
    const logits = res.logits!.data as Float32Array;
    const V = res.logits!.dims[2]!;
    const ref = await referenceLogits(dir, ids);
    let worst = 0;
    ref.forEach((row, p) => {
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(logits[p * V + i]! - row[i]!));
    });
    return worst;
  } finally {
    await s.release();
  }
}
