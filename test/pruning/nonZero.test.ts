// Non-zero counting (src/pruning/sparsity.ts countNonZero) and the engine's per-tensor record of it
// (PruneResult.nonZeroByTensor), checked against values decoded in the test: each element turned
// into a number from its IEEE 754 bits by DataView (or a half-precision formula), then compared
// with 0 — so −0 is zero, and a subnormal or a NaN is not.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../../src/formats/safetensors/dtypes.js';
import { prune } from '../../src/pruning/engine.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { countNonZero } from '../../src/pruning/sparsity.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { tensorBytes } from '../helpers/rewrite.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-nonzero-');

/** IEEE 754 binary16 (sign, 5-bit exponent, 10-bit fraction), decoded by its definition. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Each element of `bytes` as a number, little-endian, by DataView (bfloat16: the top half of a float32). */
function decode(bytes: Uint8Array, dtype: Dtype): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  const f32 = new DataView(new ArrayBuffer(4));
  const size = { F64: 8, F32: 4 }[dtype as 'F64' | 'F32'] ?? 2;
  for (let i = 0; i < bytes.byteLength; i += size) {
    if (dtype === 'F64') out.push(v.getFloat64(i, true));
    else if (dtype === 'F32') out.push(v.getFloat32(i, true));
    else if (dtype === 'F16') out.push(half(v.getUint16(i, true)));
    else {
      f32.setUint32(0, v.getUint16(i, true) << 16);
      out.push(f32.getFloat32(0));
    }
  }
  return out;
}

/** Not zero: NaN !== 0, and −0 === 0 in JavaScript. */
const expectedNonZero = (values: number[]) => values.filter((x) => x !== 0).length;

/** Little-endian 16-bit patterns as bytes, starting `offset` bytes into a larger buffer (an unaligned view when odd). */
function halves(bits: number[], offset = 0): Uint8Array {
  const b = new Uint8Array(offset + bits.length * 2).subarray(offset);
  bits.forEach((x, i) => {
    b[2 * i] = x & 0xff;
    b[2 * i + 1] = x >> 8;
  });
  return b;
}

describe('countNonZero', () => {
  // +0, −0, the smallest subnormal, a NaN, 1, −2, the largest finite, and −(smallest subnormal).
  const BF16 = [0x0000, 0x8000, 0x0001, 0x7fc0, 0x3f80, 0xc000, 0x7f7f, 0x8001];
  const F16 = [0x0000, 0x8000, 0x0001, 0x7e00, 0x3c00, 0xc000, 0x7bff, 0x8001];

  it.each([
    ['BF16', BF16],
    ['F16', F16],
  ] as const)('%s: −0 is zero, subnormals and NaN are not, aligned or not', (dtype, bits) => {
    for (const offset of [0, 1]) {
      const bytes = halves(bits, offset);
      const values = decode(bytes, dtype);
      expect(values.slice(0, 2)).toEqual([0, -0]);
      expect(expectedNonZero(values)).toBe(6);
      expect(countNonZero(bytes, dtype)).toBe(expectedNonZero(values));
    }
  });

  it('F32 and F64: −0 is zero; a value Float32 cannot hold (1e-300) is still non-zero in F64', () => {
    const f32 = [0, -0, 1e-45, Number.NaN, 1, -2, 0, 3.5e38];
    const b32 = new Uint8Array(new Float32Array(f32).buffer);
    expect(countNonZero(b32, 'F32')).toBe(expectedNonZero(decode(b32, 'F32')));
    expect(countNonZero(b32, 'F32')).toBe(5);
    const f64 = [0, -0, 1e-300, Number.NaN, -1e300, 0];
    const b64 = new Uint8Array(new Float64Array(f64).buffer);
    expect(countNonZero(b64, 'F64')).toBe(expectedNonZero(decode(b64, 'F64')));
    expect(countNonZero(b64, 'F64')).toBe(3);
    // Unaligned F32: the same four values one byte into a buffer.
    const shifted = new Uint8Array(b32.length + 1).subarray(1);
    shifted.set(b32);
    expect(countNonZero(shifted, 'F32')).toBe(5);
  });

  it('a byte count that is not whole elements is refused', () => {
    expect(() => countNonZero(new Uint8Array(3), 'BF16')).toThrow(/3 bytes are not whole BF16 elements/);
  });
});

describe('the engine records each rewritten tensor’s non-zero count', () => {
  it('magnitude 30 % per matrix on the shared model (BF16): one count per projection, equal to the written bytes’', async () => {
    const out = await prune(sharedModel, join(dir, 'sp30'), parseRecipe({ method: 'sparsity', sparsity: 0.3 }));
    const written = await tensorBytes(out.outDir);
    const projections = [...written.keys()].filter((n) => /(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$/.test(n));
    // 6 blocks × 7 projections; norms and the embedding are copied, not counted.
    expect(projections.length).toBe(42);
    expect(Object.keys(out.nonZeroByTensor ?? {}).sort()).toEqual(projections.sort());
    let sum = 0;
    for (const name of projections) {
      const bytes = written.get(name)!;
      const values = decode(bytes, 'BF16');
      expect(out.nonZeroByTensor![name], name).toBe(expectedNonZero(values));
      // Magnitude per matrix zeroes floor(0.3 · n) entries (Wanda paper's magnitude baseline); the
      // trained weights hold no zeros of their own, so the rest are non-zero.
      expect(out.nonZeroByTensor![name]).toBe(values.length - Math.floor(0.3 * values.length + 1e-9));
      sum += out.nonZeroByTensor![name]!;
    }
    expect(out.nonZero).toBe(sum);
  });

  it('a method that does not count (MLP width) records nothing', async () => {
    const out = await prune(sharedModel, join(dir, 'w40'), parseRecipe({ method: 'mlp-width', pruningFraction: 0.4 }));
    expect(out.nonZeroByTensor).toBeUndefined();
  });
});
