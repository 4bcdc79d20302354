// The exported graph against independent numbers: reference.json (PyTorch) for the shared model,
// and the plain TypeScript forward pass for a fixture of every family.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DECODER_FAMILIES } from '../../src/arch/types.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { buildCheckpoint, sharedModel } from '../fixtures/checkpoints.js';
import { referenceLogits } from '../helpers/reference.js';
import { tempDir } from '../helpers/tmp.js';

const PROBE_TOLERANCE = 1e-3;
const FIXTURE_TOLERANCE = 1e-4;
const sessions: LmSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function open(dir: string, out: string, activations = false, graph: 'fused' | 'reference' = 'fused') {
  const r = await exportOnnx(dir, out, { activations, graph });
  const s = await LmSession.open(r.modelPath, { threads: 2 });
  sessions.push(s);
  return s;
}

/**
 * The largest |logits − reference| over every position and vocabulary entry. A plain loop in a
 * function of its own: updating a variable captured from the test's closure, element by element,
 * cost 1.6 CPU-s over the 21 cases (24 positions of up to 262,144 logits, three graphs a family).
 */
function worstDifference(logits: Float32Array, ref: Float64Array[], V: number): number {
  let worst = 0;
  for (let p = 0; p < ref.length; p++) {
    const row = ref[p]!;
    // Math.max, not a comparison: a NaN logit makes the result NaN, which fails the bound.
    for (let i = 0, base = p * V; i < V; i++) worst = Math.max(worst, Math.abs(logits[base + i]! - row[i]!));
  }
  return worst;
}

describe('ONNX export', () => {
  it('the shared model reproduces reference.json’s probe logits and argmax', async () => {
    const ref = JSON.parse(readFileSync(join(sharedModel, 'reference.json'), 'utf8')) as {
      probe: { input_ids: number[]; logits_first5_each_position: number[][]; argmax_each_position: number[] };
    };
    const s = await open(sharedModel, join(tempDir(), 'tiny'));
    const out = await s.run([ref.probe.input_ids], ['logits', 'greedy']);
    const logits = out.logits!.data as Float32Array;
    const V = out.logits!.dims[2]!;
    let worst = 0;
    ref.probe.logits_first5_each_position.forEach((row, p) => {
      row.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(logits[p * V + i]! - v));
      });
    });
    expect(worst).toBeLessThan(PROBE_TOLERANCE);
    expect(Array.from(out.greedy!.data as BigInt64Array, Number)).toEqual(ref.probe.argmax_each_position);
  });

  // The fused graph (evaluation) with head_dim 8: plain-operator attention, and 16: onnxruntime's
  // GroupQueryAttention (its CPU kernel needs a multiple of 16), fused norms around both; and the
  // portable plain-ONNX graph that users download.
  const cases = DECODER_FAMILIES.flatMap((f) => [[f, 8, 'fused'] as const, [f, 16, 'fused'] as const, [f, 16, 'reference'] as const]);
  // The fused and the portable graph of one fixture are checked against one reference pass (the
  // fixture is the same checkpoint, built once per run: test/fixtures/cache.ts).
  const references = new Map<string, Promise<Float64Array[]>>();
  it.each(cases)('%s, head_dim %i, %s graph: logits equal the TypeScript reference forward pass', async (family, headDim, graph) => {
    const dir = join(tempDir(), `${family}-${headDim}`);
    await buildCheckpoint(family, dir, { seed: 7, config: { head_dim: headDim } });
    // 24 tokens: longer than the fixtures' sliding windows (16), so the window mask is exercised.
    const ids = Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % 200);
    const s = await open(dir, join(tempDir(), `${family}-${headDim}-onnx`), false, graph);
    const out = await s.run([ids], ['logits']);
    const logits = out.logits!.data as Float32Array;
    const key = `${family}-${headDim}`;
    if (!references.has(key)) references.set(key, referenceLogits(dir, ids));
    const ref = await references.get(key)!;
    const V = out.logits!.dims[2]!;
    expect(ref).toHaveLength(ids.length);
    expect(worstDifference(logits, ref, V)).toBeLessThan(FIXTURE_TOLERANCE);
  });

  it('the fused graph (evaluation) and the portable one agree on the shared model: logits within 1e-4, log-likelihood within 1e-5 relative', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => 1 + ((i * 37) % 1000));
    const targets = ids.map((_, i) => ids[(i + 1) % ids.length]!);
    const fused = await open(sharedModel, join(tempDir(), 'tiny-fused'), false, 'fused');
    const plain = await open(sharedModel, join(tempDir(), 'tiny-plain'), false, 'reference');
    const a = await fused.run([ids], ['logits', 'target_logprobs'], [targets]);
    const b = await plain.run([ids], ['logits', 'target_logprobs'], [targets]);
    const la = a.logits!.data as Float32Array;
    const lb = b.logits!.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i]! - lb[i]!));
    expect(worst).toBeLessThan(1e-4);
    const sum = (x: Float32Array) => x.reduce((acc, v) => acc + v, 0);
    const nllA = -sum(a.target_logprobs!.data as Float32Array);
    const nllB = -sum(b.target_logprobs!.data as Float32Array);
    expect(Math.abs(nllA - nllB) / nllB).toBeLessThan(1e-5);
  });

  it('batches give the same logits as single rows, and activations chain from block to block', async () => {
    const dir = join(tempDir(), 'act');
    await buildCheckpoint('qwen3', dir, { seed: 3 });
    const s = await open(dir, join(tempDir(), 'act-onnx'), true);
    const a = [5, 6, 7, 8, 9, 10];
    const b = [11, 12, 13, 14, 15, 16];
    const both = await s.run([a, b], ['logits', 'hidden_in_1', 'hidden_out_0', 'mlp_in_0']);
    const single = await s.run([b], ['logits']);
    const V = single.logits!.dims[2]!;
    const lb = (both.logits!.data as Float32Array).subarray(6 * V);
    const ls = single.logits!.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < ls.length; i++) worst = Math.max(worst, Math.abs(ls[i]! - lb[i]!));
    expect(worst).toBeLessThan(1e-5);
    expect(both.hidden_in_1!.data).toEqual(both.hidden_out_0!.data);
    expect(both.mlp_in_0!.dims).toEqual([12, 96]);
  });
});
