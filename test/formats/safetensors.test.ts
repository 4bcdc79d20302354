import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { writeTensors } from '../../src/formats/checkpoint/writeTensors.js';
import { bf16Bits, f16Bits, fromFloat32, toFloat32 } from '../../src/formats/safetensors/dtypes.js';
import { SafetensorsError } from '../../src/formats/safetensors/errors.js';
import { SafetensorsFile } from '../../src/formats/safetensors/reader.js';
import { SafetensorsWriter, type TensorSpec } from '../../src/formats/safetensors/writer.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-st-');
let n = 0;

/** A file assembled by hand, so malformed headers can be written. */
function rawFile(header: string, data: Uint8Array, headerLength?: bigint): string {
  const json = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  const path = join(dir, `raw-${n++}.safetensors`);
  writeFileSync(path, Buffer.concat([prefix, json, data]));
  return path;
}

async function openError(path: string): Promise<SafetensorsError> {
  try {
    const f = await SafetensorsFile.open(path);
    await f.close();
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return err as SafetensorsError;
  }
  throw new Error(`${path} opened without error`);
}

const two = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';

describe('dtype conversion (IEEE 754 bit patterns)', () => {
  it('encodes known BF16 and F16 values', () => {
    expect(bf16Bits(1)).toBe(0x3f80);
    expect(bf16Bits(-2)).toBe(0xc000);
    expect(f16Bits(1)).toBe(0x3c00);
    expect(f16Bits(65504)).toBe(0x7bff);
    expect(f16Bits(2 ** -24)).toBe(0x0001);
    expect(f16Bits(1e6)).toBe(0x7c00);
    // 1 + 2^-8 lies halfway between two BF16 values: ties go to the even one, 1.0.
    expect(bf16Bits(1 + 2 ** -8)).toBe(0x3f80);
  });

  it('decodes BF16, F16 and F32 bytes back to the same numbers', () => {
    const values = new Float32Array([0, 1, -2, 0.5, 3.140625, -1024]);
    for (const dtype of ['F32', 'BF16', 'F16'] as const) {
      expect(Array.from(toFloat32(fromFloat32(values, dtype), dtype))).toEqual(Array.from(values));
    }
    expect(toFloat32(new Uint8Array([0x01, 0x00]), 'F16')[0]).toBe(2 ** -24);
  });
});

describe('writer and reader', () => {
  it('round-trips tensors with an 8-byte-aligned header and string metadata', async () => {
    const path = join(dir, 'rt.safetensors');
    const specs: TensorSpec[] = [
      { name: 'w', dtype: 'BF16', shape: [2, 3] },
      { name: 'b', dtype: 'F32', shape: [3] },
    ];
    const w = await SafetensorsWriter.create(path, specs, { format: 'pt' });
    await w.write('w', fromFloat32(new Float32Array([1, 2, 3, 4, 5, 6]), 'BF16'));
    await w.write('b', [fromFloat32(new Float32Array([7]), 'F32'), fromFloat32(new Float32Array([8, 9]), 'F32')]);
    await w.finish();

    const bytes = readFileSync(path);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const f = await SafetensorsFile.open(path);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(Array.from(await f.readFloat32('w'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await f.readFloat32('b'))).toEqual([7, 8, 9]);
    const chunks: number[] = [];
    for await (const c of f.streamBytes('w', 5)) chunks.push(c.byteLength);
    expect(chunks).toEqual([5, 5, 2]);
    await f.close();
  });

  it('refuses tensors written out of order or short', async () => {
    const w = await SafetensorsWriter.create(join(dir, 'order.safetensors'), [
      { name: 'x', dtype: 'F32', shape: [1] },
      { name: 'y', dtype: 'F32', shape: [2] },
    ]);
    await expect(w.write('y', new Uint8Array(8))).rejects.toThrow(/out of order \(expected x\)/);
    await w.write('x', new Uint8Array(4));
    await expect(w.write('y', new Uint8Array(4))).rejects.toThrow(/got 4 bytes, the header promised 8/);
    await w.abort();
  });

  it('shards at a size limit and reads the shards as one checkpoint', async () => {
    const out = join(dir, 'sharded');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    const specs: TensorSpec[] = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, dtype: 'F32', shape: [10] }));
    const files = await writeTensors(out, specs, (s) => fromFloat32(new Float32Array(10).fill(Number(s.name.slice(1))), 'F32'), {
      maxShardBytes: 100,
    });
    expect(files).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(200);
    expect(index.weight_map.t4).toBe('model-00003-of-00003.safetensors');
    const ckpt = await CheckpointTensors.open(out);
    expect(ckpt.sharded).toBe(true);
    expect(ckpt.names().sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(Array.from(await ckpt.readFloat32('t3'))).toEqual(new Array(10).fill(3));
    await ckpt.close();
  });
});

describe('bad files get a typed error naming file, tensor and problem', () => {
  it('truncated file', async () => {
    const e = await openError(rawFile(two, new Uint8Array(10)));
    expect(e.problem).toMatch(/truncated: tensors need \d+ bytes, file has \d+/);
  });

  it('file shorter than the length prefix', async () => {
    const path = join(dir, 'tiny.safetensors');
    writeFileSync(path, Buffer.from([1, 2, 3]));
    expect((await openError(path)).problem).toMatch(/shorter than the 8-byte header length/);
  });

  it('header length past the end of the file', async () => {
    expect((await openError(rawFile(two, new Uint8Array(12), 5000n))).problem).toMatch(/runs past the end of the file/);
  });

  it('a 200 MB header is refused before anything is allocated', async () => {
    expect((await openError(rawFile(two, new Uint8Array(12), 200_000_000n))).problem).toMatch(/exceeds the 100,000,000-byte limit/);
  });

  it('overlapping offsets', async () => {
    const h = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    const e = await openError(rawFile(h, new Uint8Array(8)));
    expect(e.tensor).toBe('b');
    expect(e.problem).toMatch(/overlaps the previous tensor/);
  });

  it('gapped offsets', async () => {
    const h = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    const e = await openError(rawFile(h, new Uint8Array(12)));
    expect(e.tensor).toBe('b');
    expect(e.problem).toMatch(/gap before tensor/);
  });

  it('a shape whose byte size does not match', async () => {
    const h = '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}';
    const e = await openError(rawFile(h, new Uint8Array(8)));
    expect(e.tensor).toBe('a');
    expect(e.problem).toBe('byte size 8 does not match shape [3] × F32 = 12');
  });

  it('a shape whose product overflows 64 bits', async () => {
    const h = '{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}';
    expect((await openError(rawFile(h, new Uint8Array(4)))).problem).toMatch(/does not match shape/);
  });

  it('unknown dtype', async () => {
    const h = '{"a":{"dtype":"F24","shape":[1],"data_offsets":[0,3]}}';
    const e = await openError(rawFile(h, new Uint8Array(3)));
    expect(e.tensor).toBe('a');
    expect(e.problem).toBe('unknown dtype "F24"');
  });

  it('numbers in __metadata__', async () => {
    const h = `{"__metadata__":{"step":1000},${two.slice(1)}`;
    expect((await openError(rawFile(h, new Uint8Array(12)))).problem).toBe('__metadata__.step must be a string, got number');
  });

  it('duplicate tensor names, which JSON.parse would hide', async () => {
    const h = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    const e = await openError(rawFile(h, new Uint8Array(8)));
    expect(e.tensor).toBe('a');
    expect(e.problem).toBe('duplicate tensor name in header');
    expect(e.code).toBe('BAD_CHECKPOINT');
    expect(e.message).toContain(e.file);
  });
});
