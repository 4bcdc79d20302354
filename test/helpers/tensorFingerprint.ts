// A float-noise-tolerant fingerprint of a safetensors file, read here (not by the code under test):
// the header's sha256 (names, dtypes, shapes, offsets: exact) and, per tensor, the sha256 of its
// bytes, its zero count and the float64 sums of |w| and w². Methods that solve least-squares
// systems on onnxruntime's activations (SparseGPT, the refit) differ in the last bits from one CPU to
// another: MLAS picks its GEMM kernels by instruction set (AVX2, AVX-512), which sums in another
// order, and a BF16 rounding then flips now and then. Their outputs are compared by these sums.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TensorPrint {
  sha256: string;
  zeros: number;
  absSum: number;
  sqSum: number;
}

export interface FilePrint {
  header: string;
  tensors: Record<string, TensorPrint>;
}

function decode(bytes: Buffer, dtype: string): Float64Array {
  const out = new Float64Array(bytes.length / (dtype === 'F32' ? 4 : 2));
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < out.length; i++) {
    if (dtype === 'F32') out[i] = bytes.readFloatLE(i * 4);
    else if (dtype === 'BF16') {
      u32[0] = bytes.readUInt16LE(i * 2) << 16;
      out[i] = f32[0]!;
    } else throw new Error(`fingerprint: dtype ${dtype} not handled`);
  }
  return out;
}

export function fingerprint(file: string): FilePrint {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const headerBytes = buf.subarray(8, 8 + n);
  const header = JSON.parse(headerBytes.toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const tensors: Record<string, TensorPrint> = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
    const v = decode(bytes, t.dtype);
    let zeros = 0;
    let absSum = 0;
    let sqSum = 0;
    for (const x of v) {
      if (x === 0) zeros++;
      absSum += Math.abs(x);
      sqSum += x * x;
    }
    tensors[name] = { sha256: createHash('sha256').update(bytes).digest('hex'), zeros, absSum, sqSum };
  }
  return { header: createHash('sha256').update(headerBytes).digest('hex'), tensors };
}
