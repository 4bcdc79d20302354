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

async function open(dir: string, out: string, activations = false) {
  const r = await exportOnnx(dir, out, { activations });
  const s = await LmSession.open(r.modelPath, { threads: 2 });
  sessions.push(s);
  return s;
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

  it.each(DECODER_FAMILIES)('%s: logits equal the TypeScript reference forward pass', async (family) => {
    const dir = join(tempDir(), family);
    await buildCheckpoint(family, dir, { seed: 7 });
    // 24 tokens: longer than the fixtures' sliding windows (16), so the window mask is exercised.
    const ids = Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % 200);
    const s = await open(dir, join(tempDir(), `${family}-onnx`));
    const out = await s.run([ids], ['logits']);
    const logits = out.logits!.data as Float32Array;
    const ref = await referenceLogits(dir, ids);
    const V = out.logits!.dims[2]!;
    let worst = 0;
    ref.forEach((row, p) => {
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(logits[p * V + i]! - row[i]!));
    });
    expect(worst).toBeLessThan(FIXTURE_TOLERANCE);
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
