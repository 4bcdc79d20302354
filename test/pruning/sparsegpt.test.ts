// SparseGPT's engine (src/pruning/sparsegpt.ts, the reference's Cholesky form with lazy block
// updates) against an independent implementation of the OBS update (test/helpers/obs.ts: explicit
// inverse, immediate updates), on small random layers with a dead input column.
import { describe, expect, it } from 'vitest';
import { reconstructionError } from '../../src/pruning/linalg.js';
import { sparseGpt } from '../../src/pruning/sparsegpt.js';
import { normals, rng } from '../fixtures/random.js';
import { obsPrune } from '../helpers/obs.js';

function layer(rows: number, cols: number, samples: number, seed: number) {
  const next = rng(seed);
  const w = Float64Array.from(normals(rows * cols, 1, next));
  const x = normals(samples * cols, 1, next);
  for (let s = 0; s < samples; s++) x[s * cols + 3] = 0; // an input that is always 0
  const gram = new Float64Array(cols * cols);
  for (let s = 0; s < samples; s++)
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) gram[i * cols + j]! += x[s * cols + i]! * x[s * cols + j]!;
  return { w, gram };
}

const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('SparseGPT', () => {
  const { w, gram } = layer(6, 24, 40, 11);

  it.each([
    ['unstructured 50 %, blocks of 8', { sparsity: 0.5, blockSize: 8 }],
    ['unstructured 30 %, one block', { sparsity: 0.3, blockSize: 128 }],
    ['2:4', { nm: { n: 2, m: 4 }, blockSize: 8 }],
    ['4:8', { nm: { n: 4, m: 8 }, blockSize: 16 }],
  ])('%s: equals the independent OBS implementation within 1e-5', (_name, o) => {
    const engine = sparseGpt(w, 6, 24, gram, { dampening: 0.01, ...o });
    const reference = obsPrune(w, 6, 24, gram, { dampening: 0.01, ...o });
    expect(maxDiff(engine, reference)).toBeLessThan(1e-5);
    const zeros = engine.filter((v) => v === 0).length;
    if ('sparsity' in o) expect(zeros).toBeGreaterThanOrEqual(Math.floor(o.sparsity * 6 * 24));
    else
      for (let r = 0; r < 6; r++)
        for (let g = 0; g < 24; g += o.nm.m)
          expect(engine.slice(r * 24 + g, r * 24 + g + o.nm.m).filter((v) => v === 0).length).toBeGreaterThanOrEqual(o.nm.n);
  });

  it('at sparsity 0 returns the weights bit for bit', () => {
    const out = sparseGpt(w, 6, 24, gram, { sparsity: 0, dampening: 0.01 });
    expect(Array.from(out)).toEqual(Array.from(w));
  });

  it('its reconstruction error is below plain magnitude pruning with the same mask size', () => {
    const out = sparseGpt(w, 6, 24, gram, { sparsity: 0.5, dampening: 0.01 });
    const byMagnitude = Float64Array.from(w);
    for (let r = 0; r < 6; r++) {
      const order = Array.from({ length: 24 }, (_, j) => j).sort((a, b) => Math.abs(w[r * 24 + a]!) - Math.abs(w[r * 24 + b]!));
      for (const j of order.slice(0, 12)) byMagnitude[r * 24 + j] = 0;
    }
    expect(reconstructionError(w, out, 6, 24, gram)).toBeLessThan(reconstructionError(w, byMagnitude, 6, 24, gram));
  });
});
