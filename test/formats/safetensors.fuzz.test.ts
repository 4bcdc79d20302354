// 1,000 seeded mutations of a valid file: every outcome is a correct read or a SafetensorsError —
// no other exception, no hang. A failure prints its seed and mutation, so it can be replayed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromFloat32 } from '../../src/formats/safetensors/dtypes.js';
import { SafetensorsError } from '../../src/formats/safetensors/errors.js';
import { SafetensorsFile } from '../../src/formats/safetensors/reader.js';
import { SafetensorsWriter } from '../../src/formats/safetensors/writer.js';
import { rng } from '../fixtures/random.js';
import { tempDir } from '../helpers/tmp.js';

const SEED = 20261123;
const dir = tempDir('bonsai-fuzz-');

type Mutation = (b: Buffer, r: () => number) => Buffer;
const pick = (r: () => number, n: number) => Math.floor(r() * n);

const mutations: Record<string, Mutation> = {
  flipHeaderByte: (b, r) => {
    const c = Buffer.from(b);
    const headerEnd = 8 + Number(b.readBigUInt64LE(0));
    const i = 8 + pick(r, headerEnd - 8);
    c[i] = pick(r, 256);
    return c;
  },
  flipLengthByte: (b, r) => {
    const c = Buffer.from(b);
    c[pick(r, 8)] = pick(r, 256);
    return c;
  },
  truncate: (b, r) => b.subarray(0, pick(r, b.length)),
  extend: (b, r) => Buffer.concat([b, Buffer.alloc(1 + pick(r, 16), pick(r, 256))]),
  replaceDigit: (b, r) => {
    const s = b.toString('latin1');
    const digits = [...s.slice(0, 8 + Number(b.readBigUInt64LE(0)))].flatMap((ch, i) => (/\d/.test(ch) && i >= 8 ? [i] : []));
    const c = Buffer.from(b);
    if (digits.length > 0) c[digits[pick(r, digits.length)]!] = 0x30 + pick(r, 10);
    return c;
  },
  swapHeaderBytes: (b, r) => {
    const c = Buffer.from(b);
    const end = 8 + Number(b.readBigUInt64LE(0));
    const i = 8 + pick(r, end - 8);
    const j = 8 + pick(r, end - 8);
    [c[i], c[j]] = [c[j]!, c[i]!];
    return c;
  },
};

describe('safetensors fuzzing', () => {
  it('1,000 mutations: a correct read or a typed error, never a crash', async () => {
    const base = join(dir, 'base.safetensors');
    const w = await SafetensorsWriter.create(
      base,
      [
        { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [4, 3] },
        { name: 'model.norm.weight', dtype: 'F32', shape: [3] },
        { name: 'lm_head.weight', dtype: 'F16', shape: [2, 3] },
      ],
      { format: 'pt' },
    );
    await w.write('model.embed_tokens.weight', fromFloat32(new Float32Array(12).fill(0.5), 'BF16'));
    await w.write('model.norm.weight', fromFloat32(new Float32Array(3).fill(1), 'F32'));
    await w.write('lm_head.weight', fromFloat32(new Float32Array(6).fill(-1), 'F16'));
    await w.finish();
    const valid = readFileSync(base);
    const r = rng(SEED);
    const names = Object.keys(mutations);
    const outcomes = { read: 0, typedError: 0 };
    const path = join(dir, 'mutant.safetensors');
    for (let i = 0; i < 1000; i++) {
      const name = names[pick(r, names.length)]!;
      const mutant = mutations[name]!(valid, r);
      writeFileSync(path, mutant);
      try {
        const f = await SafetensorsFile.open(path);
        try {
          let bytes = 0;
          for (const t of f.tensors.values()) {
            const data = await f.readBytes(t.name);
            bytes += data.byteLength;
            if (['F32', 'F16', 'BF16'].includes(t.dtype))
              expect((await f.readFloat32(t.name)).length).toBe(data.byteLength / (t.dtype === 'F32' ? 4 : 2));
          }
          // A file that opens never claims more tensor bytes than it has.
          expect(bytes).toBeLessThanOrEqual(mutant.length);
          outcomes.read++;
        } finally {
          await f.close();
        }
      } catch (err) {
        if (!(err instanceof SafetensorsError)) {
          throw new Error(`seed ${SEED}, iteration ${i}, mutation ${name}: untyped ${(err as Error).stack}`);
        }
        outcomes.typedError++;
      }
    }
    expect(outcomes.read + outcomes.typedError).toBe(1000);
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.typedError).toBeGreaterThan(500);
  });
});
