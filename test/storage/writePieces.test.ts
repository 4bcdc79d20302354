// Storing a large safetensors file in pieces in one read (src/storage/writePieces.ts), on both
// backends: above 32 MiB the whole file's sha256 is computed on another thread, and a piece above
// 16 MiB is staged on disk as it arrives while smaller ones wait in memory for their hash. The
// expected hashes are computed here from the bytes the test wrote.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHeader } from '../../src/formats/safetensors/index.js';
import type { ArtifactStore } from '../../src/storage/store.js';
import { loggedBackends } from '../helpers/loggedStore.js';
import { type LocalS3, startLocalS3 } from '../helpers/s3.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1 << 20;

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3('pieces');
});
afterAll(() => s3?.close());

const backends = loggedBackends('wp', () => s3);

function safetensors(tensors: Array<[string, Buffer]>): { file: Buffer; header: Buffer } {
  const header = Buffer.from(encodeHeader(tensors.map(([name, b]) => ({ name, dtype: 'BF16' as const, shape: [b.length / 2] }))));
  return { file: Buffer.concat([header, ...tensors.map(([, b]) => b)]), header };
}

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.each(backends)('a large safetensors file in pieces on a %s', (_kind, make) => {
  // An embedding above the staging size, a block matrix below it, and two norms of equal bytes.
  const embed = randomBytes(20 * MiB + 2);
  const norm = randomBytes(2048);
  const base = safetensors([
    ['a.embed', embed],
    ['b.mlp', randomBytes(14 * MiB)],
    ['c.norm', norm],
    ['d.norm', Buffer.from(norm)],
  ]);
  const changedMlp = randomBytes(14 * MiB);
  const child = safetensors([
    ['a.embed', embed],
    ['b.mlp', changedMlp],
    ['c.norm', norm],
    ['d.norm', Buffer.from(norm)],
  ]);

  async function adopt(store: ArtifactStore, name: string, bytes: Buffer) {
    const dir = await store.tempDir('src');
    writeFileSync(join(dir, name), bytes);
    return store.adoptFolder(dir);
  }

  it('reads it once into a manifest of each tensor’s sha256, puts a repeated tensor once, and a child only its new pieces', async () => {
    const log = { puts: [] as string[] };
    const store = make(log);
    const { files } = await adopt(store, 'model.safetensors', base.file);
    expect(files).toEqual([{ path: 'model.safetensors', sha256: sha(base.file), size: base.file.length }]);
    const m = (await store.listManifests()).get(sha(base.file))!;
    const mlp = base.file.subarray(base.header.length + embed.length, base.header.length + embed.length + 14 * MiB);
    expect(m.pieces).toEqual([
      { sha256: sha(base.header), size: base.header.length },
      { sha256: sha(embed), size: embed.length },
      { sha256: sha(mlp), size: mlp.length },
      { sha256: sha(norm), size: norm.length },
      { sha256: sha(norm), size: norm.length },
    ]);
    // Four distinct pieces and the manifest; the second norm is not put again.
    expect(log.puts.filter((k) => k.startsWith('pieces/')).length).toBe(4);
    expect(log.puts.filter((k) => k.startsWith('manifests/'))).toEqual([`manifests/${sha(base.file).slice(0, 2)}/${sha(base.file)}`]);
    expect((await bytesOf(await store.readBlob(sha(base.file)))).equals(base.file)).toBe(true);

    log.puts.length = 0;
    await adopt(store, 'model.safetensors', child.file);
    // The child shares the embedding, the norms and the header (the same shapes): only its changed matrix is new.
    const newPieces = log.puts.filter((k) => k.startsWith('pieces/')).map((k) => k.slice(k.lastIndexOf('/') + 1));
    expect(newPieces).toEqual([sha(changedMlp)]);
    expect((await bytesOf(await store.readBlob(sha(child.file)))).equals(child.file)).toBe(true);
    // No staging folder is left behind.
    expect(readdirSync(join(store.root, 'tmp')).filter((n) => n.startsWith('pieces-'))).toEqual([]);
  });

  it('a fault at any put leaves no manifest naming a missing piece and no staged file', async () => {
    const probe = { puts: [] as string[] };
    await adopt(make(probe), 'model.safetensors', base.file);
    for (let failAt = 0; failAt < probe.puts.length; failAt++) {
      const log = { puts: [] as string[], failAt };
      const store = make(log);
      await expect(adopt(store, 'model.safetensors', base.file), `fault ${failAt}`).rejects.toThrow(/injected fault/);
      expect(await store.hasBlob(sha(base.file)), `fault ${failAt}`).toBe(false);
      // Every piece put before the fault was removed again: nothing names it.
      expect(await store.listPieces(), `fault ${failAt}`).toEqual([]);
      expect(readdirSync(join(store.root, 'tmp')).filter((n) => n.startsWith('pieces-'))).toEqual([]);
    }
  }, 120_000);
});
