// safetensors dtypes and conversions to Float32 [huggingface/safetensors].

export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;

export type Dtype = keyof typeof DTYPE_BYTES;

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_BYTES, value);
}

/** Weights memory per stored dtype, in bytes per parameter (as accelerate's estimate-memory counts them). */
export const WEIGHT_BYTES_PER_PARAM = { fp32: 4, bf16: 2, fp16: 2, int8: 1, int4: 0.5 } as const;

let f16Table: Float32Array | undefined;

/** All 65,536 half-precision values, so conversion is one lookup per element. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

/** 16-bit little-endian elements; a view when aligned (this is a little-endian-only tool), else a copy. */
function halves(bytes: Uint8Array): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const copy = new Uint16Array(bytes.byteLength / 2);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** Little-endian raw bytes of one tensor to Float32 (copying; the input may be unaligned). */
export function toFloat32(bytes: Uint8Array, dtype: Dtype): Float32Array {
  return toFloat32Into(bytes, dtype, new Float32Array(bytes.byteLength / DTYPE_BYTES[dtype]));
}

/** The same conversion into a buffer the caller reuses (its length is the element count). */
export function toFloat32Into(bytes: Uint8Array, dtype: Dtype, out: Float32Array): Float32Array {
  switch (dtype) {
    case 'F32':
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
      return out;
    case 'BF16': {
      // A BF16 value is the top half of the Float32 with the same bits.
      const half = halves(bytes);
      const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
      for (let i = 0; i < half.length; i++) bits[i] = half[i]! << 16;
      return out;
    }
    case 'F16': {
      const table = halfTable();
      const half = halves(bytes);
      for (let i = 0; i < half.length; i++) out[i] = table[half[i]!]!;
      return out;
    }
    case 'F64': {
      const copy = new Float64Array(bytes.byteLength / 8);
      new Uint8Array(copy.buffer).set(bytes);
      out.set(copy);
      return out;
    }
    default:
      throw new TypeError(`cannot convert ${dtype} to Float32`);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 to BF16 bits with round-to-nearest-even, as PyTorch's `.to(torch.bfloat16)`. */
export function bf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40; // quiet NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Float32 to IEEE half bits with round-to-nearest-even. */
export function f16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** Float32 values to the bytes of `dtype` (F32, BF16 or F16), little-endian. */
export function fromFloat32(values: Float32Array, dtype: Dtype): Uint8Array {
  switch (dtype) {
    case 'F32':
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case 'BF16':
    case 'F16': {
      const convert = dtype === 'BF16' ? bf16Bits : f16Bits;
      const out = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = convert(values[i]!);
      return new Uint8Array(out.buffer);
    }
    default:
      throw new TypeError(`cannot convert Float32 to ${dtype}`);
  }
}
