// storedTensors (src/storage/tensorPieces.ts): the shared model's header read back from the store,
// each tensor paired with its piece's sha256. Checked against the file itself: the sha256 of each
// tensor's byte range, hashed here from the original file. A store that keeps files whole has no
// piece hashes to give.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../src/storage/store.js';
import { storedTensors } from '../../src/storage/tensorPieces.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

const file = join(sharedModel, 'model.safetensors');

async function stored(wholeFiles: boolean) {
  const store = new ArtifactStore(tempDir('bonsai-tp-'), undefined, { wholeFiles });
  const { files } = await store.importFolder(sharedModel, ['model.safetensors']);
  const f = files[0]!;
  return storedTensors(store, { sha256: f.sha256, size: f.size, name: f.path });
}

describe('storedTensors', () => {
  it('a file in pieces: every tensor of the header, with the sha256 of its own bytes', async () => {
    const bytes = readFileSync(file);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<
      string,
      { dtype: string; shape: number[]; data_offsets: [number, number] }
    >;
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    const tensors = await stored(false);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(tensors.map((t) => t.name).sort()).toEqual(names.sort());
    for (const t of tensors) {
      const h = header[t.name]!;
      expect({ dtype: t.dtype, shape: t.shape }).toEqual({ dtype: h.dtype, shape: h.shape });
      const [a, b] = h.data_offsets;
      expect(t.pieceSha256).toBe(
        createHash('sha256')
          .update(bytes.subarray(dataStart + a, dataStart + b))
          .digest('hex'),
      );
    }
  });

  it('a file stored whole: the header still, no piece hashes', async () => {
    const tensors = await stored(true);
    expect(tensors.length).toBe(56);
    expect(tensors.every((t) => t.pieceSha256 === null)).toBe(true);
  });
});
