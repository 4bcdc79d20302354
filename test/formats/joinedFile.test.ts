// A file made of several local files, read by position (src/formats/joinedFile.ts): every read,
// of any length from any position, is the concatenation's bytes, whatever the parts' sizes
// (empty ones included) and however many more parts there are than it keeps open.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JoinedFile, PartSizeError } from '../../src/formats/joinedFile.js';
import { readAhead, readFully } from '../../src/formats/positionalRead.js';
import { tempDir } from '../helpers/tmp.js';

function partsOf(sizes: number[]) {
  const dir = tempDir('bonsai-joined-');
  const bytes = sizes.map((n) => randomBytes(n));
  const parts = bytes.map((b, i) => {
    const path = join(dir, `part-${i}`);
    writeFileSync(path, b);
    return { path, size: b.length };
  });
  return { parts, whole: Buffer.concat(bytes) };
}

const short = (at: number) => new Error(`short at ${at}`);

describe('JoinedFile', () => {
  it('reads any range of the concatenation, across parts, with more parts than it keeps open', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 2_000 })), { minLength: 1, maxLength: 12 }),
        async (sizes, reads) => {
          const { parts, whole } = partsOf(sizes);
          const file = new JoinedFile(parts);
          try {
            expect(file.size).toBe(whole.length);
            // Reads in flight at once, as readAhead has them.
            await Promise.all(
              reads.map(async ([where, length]) => {
                const position = Math.floor(where * whole.length);
                const n = Math.min(length, whole.length - position);
                const into = Buffer.alloc(n);
                await readFully(file, into, position, short);
                expect(into.equals(whole.subarray(position, position + n))).toBe(true);
              }),
            );
            // Past the end: nothing, as a file handle says.
            expect((await file.read(Buffer.alloc(4), 0, 4, whole.length)).bytesRead).toBe(0);
          } finally {
            await file.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('streams a range in read-ahead chunks that its consumer may keep (fresh buffers)', async () => {
    const { parts, whole } = partsOf([5, 0, 70_000, 1, 0, 33_333, 4_096]);
    const file = new JoinedFile(parts);
    const kept: Uint8Array[] = [];
    for await (const c of readAhead(file, { start: 3, end: whole.length - 2, chunkBytes: 4_000, buffers: 'fresh', onShort: short }))
      kept.push(c);
    await file.close();
    // Every chunk kept to the end still holds its bytes: none was overwritten by a later read.
    expect(Buffer.concat(kept).equals(whole.subarray(3, whole.length - 2))).toBe(true);
    expect(kept.every((c) => c.byteLength <= 4_000)).toBe(true);
    // No chunk straddles two parts (one read each, none split into two in turn).
    const ends: number[] = [];
    for (const p of parts) ends.push((ends.at(-1) ?? 0) + p.size);
    let at = 3;
    for (const c of kept) {
      expect(
        ends.some((e) => e > at && e < at + c.byteLength),
        `chunk at ${at}`,
      ).toBe(false);
      at += c.byteLength;
    }
  });

  it('refuses a part whose size is not the one its manifest gives, and a part that is gone', async () => {
    const { parts } = partsOf([10, 20]);
    writeFileSync(parts[1]!.path, randomBytes(19));
    const file = new JoinedFile(parts);
    await expect(readFully(file, Buffer.alloc(5), 12, short)).rejects.toThrow(PartSizeError);
    await expect(readFully(file, Buffer.alloc(5), 12, short)).rejects.toThrow(/is 19 bytes, not the 20/);
    const gone = new JoinedFile([{ path: join(tempDir('bonsai-joined-'), 'missing'), size: 3 }]);
    await expect(readFully(gone, Buffer.alloc(3), 0, short)).rejects.toMatchObject({ code: 'ENOENT' });
    await file.close();
    await expect(file.read(Buffer.alloc(1), 0, 1, 0)).rejects.toThrow(/closed/);
  });
});
