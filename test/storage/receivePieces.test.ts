// An upload received straight into pieces (src/storage/receivePieces.ts through ArtifactStore.receive):
// whatever way the bytes are cut into chunks, a safetensors file is stored as layout.ts cuts it and
// reads back byte for byte; anything else is stored whole; a wrong upload leaves nothing. Expected
// files, hashes and pieces are built here from encodeHeader and the test's own bytes.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHeader } from '../../src/formats/safetensors/index.js';
import { ArtifactStore, ObjectMismatchError } from '../../src/storage/store.js';
import { tempDir } from '../helpers/tmp.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function safetensors(tensors: Array<[string, Buffer]>): { file: Buffer; header: Buffer } {
  const header = Buffer.from(encodeHeader(tensors.map(([name, b]) => ({ name, dtype: 'U8' as const, shape: [b.length] }))));
  return { file: Buffer.concat([header, ...tensors.map(([, b]) => b)]), header };
}

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `b` cut at `cuts` (sorted positions inside it). */
async function* cutAt(b: Buffer, cuts: number[]) {
  let at = 0;
  for (const c of [...cuts, b.length]) {
    if (c > at) yield b.subarray(at, c);
    at = Math.max(at, c);
  }
}

const store = () => new ArtifactStore(tempDir('bonsai-rp-'), undefined, { pieceGraceMs: 0 });
const leftovers = (s: ArtifactStore) => readdirSync(join(s.root, 'tmp')).filter((n) => n.startsWith('upload-'));

describe('an upload received into pieces', () => {
  const embed = randomBytes(9 << 20); // above the 8 MiB held in memory: staged as it arrives
  const a = randomBytes(3000);
  const base = safetensors([
    ['a', a],
    ['b.empty', Buffer.alloc(0)],
    ['c', randomBytes(517)],
    ['d', Buffer.from(a)],
    ['e.embed', embed],
  ]);

  it('stores a safetensors file in its pieces however the bytes are chunked, and a second upload sharing tensors puts only its new ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: base.file.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const s = store();
        expect(
          await s.receive(
            cutAt(
              base.file,
              cuts.sort((x, y) => x - y),
            ),
            { sha256: sha(base.file), size: base.file.length },
          ),
        ).toBe(true);
        expect((await bytesOf(await s.readBlob(sha(base.file)))).equals(base.file)).toBe(true);
        const m = (await s.listManifests()).get(sha(base.file))!;
        const at = base.header.length;
        expect(m.pieces).toEqual([
          { sha256: sha(base.header), size: base.header.length },
          { sha256: sha(a), size: a.length },
          { sha256: sha(base.file.subarray(at + 3000, at + 3517)), size: 517 },
          { sha256: sha(a), size: a.length },
          { sha256: sha(embed), size: embed.length },
        ]);
        expect(await s.listBlobs()).toEqual([sha(base.file)]);
        expect((await s.listPieces()).sort()).toEqual([...new Set(m.pieces.map((p) => p.sha256))].sort());
        expect(leftovers(s)).toEqual([]);
      }),
      { numRuns: 12, seed: 20261206 },
    );
    const s = store();
    await s.receive(cutAt(base.file, []), { sha256: sha(base.file), size: base.file.length });
    const before = new Set(await s.listPieces());
    const changed = randomBytes(517);
    const child = safetensors([
      ['a', a],
      ['b.empty', Buffer.alloc(0)],
      ['c', changed],
      ['d', Buffer.from(a)],
      ['e.embed', embed],
    ]);
    expect(await s.receive(cutAt(child.file, [5, 100, 70_000]), { sha256: sha(child.file), size: child.file.length })).toBe(true);
    const added = (await s.listPieces()).filter((p) => !before.has(p));
    // The header is the same (same names, dtypes, shapes): only the changed tensor is new.
    expect(added).toEqual([sha(changed)]);
    expect((await bytesOf(await s.readBlob(sha(child.file)))).equals(child.file)).toBe(true);
    // The same upload again: nothing new.
    expect(await s.receive(cutAt(child.file, [3]), { sha256: sha(child.file), size: child.file.length })).toBe(false);
  }, 120_000);

  it('stores anything else whole: not safetensors, a header the reader refuses, a header shorter than its length says', async () => {
    const bad = Buffer.from(base.file);
    bad.write('{"a":{"dtype":"U8","shape":[3000],"data_offsets":[0,1]}', 8); // offsets that do not cover the data
    const truncatedLength = Buffer.alloc(16);
    truncatedLength.writeBigUInt64LE(1000n, 0);
    for (const body of [randomBytes(5000), Buffer.from('tiny'), Buffer.alloc(0), bad, truncatedLength]) {
      const s = store();
      expect(await s.receive(cutAt(body, [1, 7, 9]), { sha256: sha(body), size: body.length })).toBe(true);
      expect(await s.listManifests()).toEqual(new Map());
      expect(await s.listBlobs()).toEqual([sha(body)]);
      expect((await s.readBlobBytes(sha(body))).equals(body)).toBe(true);
      expect(leftovers(s)).toEqual([]);
    }
  });

  it('a short, long or wrong upload of a safetensors file leaves no piece, manifest or staged file', async () => {
    const s = store();
    const { file } = base;
    const cases: Array<[Buffer, { sha256: string; size: number }, RegExp]> = [
      [file.subarray(0, file.length - 10), { sha256: sha(file), size: file.length }, /bytes arrived/],
      [file.subarray(0, 200), { sha256: sha(file), size: file.length }, /bytes arrived/],
      [Buffer.concat([file, Buffer.from('x')]), { sha256: sha(file), size: file.length }, /more than the/],
      [file, { sha256: sha(Buffer.from('other')), size: file.length }, /sha256 is/],
    ];
    for (const [body, expected, problem] of cases) {
      const err = await s.receive(cutAt(body, [64, 4000]), expected).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectMismatchError);
      expect((err as Error).message).toMatch(problem);
    }
    // The wrong-sha256 case staged every piece before the digest said no: none of them became an object.
    expect(await s.listPieces()).toEqual([]);
    expect(await s.listBlobs()).toEqual([]);
    expect(leftovers(s)).toEqual([]);
  });
});
