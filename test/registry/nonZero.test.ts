// recordedNonZero (src/registry/nonZero.ts): a count recorded on the lineage edge applies only to
// the bytes it was counted on, named by their sha256; anything else reads as "not counted".
import { describe, expect, it } from 'vitest';
import { recordedNonZero } from '../../src/registry/nonZero.js';

const PIECE = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const result = {
  parameters: 10,
  nonZero: 6,
  tensors: { 'model.layers.0.mlp.up_proj.weight': { nonZero: 6, sha256: PIECE, dtype: 'BF16' } },
};

describe('recordedNonZero', () => {
  it('the count of the tensor whose stored piece is the one counted', () => {
    expect(recordedNonZero(result, 'model.layers.0.mlp.up_proj.weight', PIECE, 'BF16')).toBe(6);
  });

  it('null when the bytes changed since (another piece), the file is stored whole, or nothing was recorded', () => {
    expect(recordedNonZero(result, 'model.layers.0.mlp.up_proj.weight', OTHER, 'BF16')).toBeNull();
    expect(recordedNonZero(result, 'model.layers.0.mlp.up_proj.weight', null, 'BF16')).toBeNull();
    expect(recordedNonZero(result, 'model.layers.0.mlp.gate_proj.weight', PIECE, 'BF16')).toBeNull();
    expect(recordedNonZero({ parameters: 10 }, 'model.layers.0.mlp.up_proj.weight', PIECE, 'BF16')).toBeNull();
    expect(recordedNonZero(null, 'model.layers.0.mlp.up_proj.weight', PIECE, 'BF16')).toBeNull();
    // A name that is an object's own property name, not a recorded tensor.
    expect(recordedNonZero(result, 'constructor', PIECE, 'BF16')).toBeNull();
    expect(recordedNonZero({ tensors: { t: { nonZero: '6', sha256: PIECE } } }, 't', PIECE, 'BF16')).toBeNull();
  });
});
