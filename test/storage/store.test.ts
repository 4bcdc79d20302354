// The artifact store's contract, run against both backends: a folder and an S3-compatible bucket
// (s3rver, a local server speaking the S3 protocol).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openArtifactStore } from '../../src/storage/open.js';
import { S3Objects } from '../../src/storage/s3Objects.js';
import { ArtifactStore, ObjectMismatchError } from '../../src/storage/store.js';
import { type LocalS3, startLocalS3 } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3('suite');
});
afterAll(() => s3?.close());

const backends: Array<[string, () => ArtifactStore]> = [
  ['folder', () => new ArtifactStore(tempDir('bonsai-store-'))],
  [
    's3',
    () => {
      // A prefix per store, so the cases do not see each other's objects.
      const prefix = `suite/${randomBytes(4).toString('hex')}`;
      return new ArtifactStore(
        tempDir('bonsai-store-local-'),
        new S3Objects({ bucket: 'bonsai-test', prefix }, { forcePathStyle: true, client: s3.client }),
      );
    },
  ],
];

describe.each(backends)('ArtifactStore on a %s', (_kind, make) => {
  it('stores each content once and reads it back whole and by byte range', async () => {
    const store = make();
    const src = tempDir('bonsai-src-');
    const weights = randomBytes(3 * 1024 * 1024 + 17);
    const config = Buffer.from('{"hidden_size": 8}');
    writeFileSync(join(src, 'model.safetensors'), weights);
    writeFileSync(join(src, 'config.json'), config);
    mkdirSync(join(src, 'sub'));
    writeFileSync(join(src, 'sub', 'copy.json'), config);

    const first = await store.importFolder(src);
    expect(first.files).toEqual([
      { path: 'config.json', sha256: sha(config), size: config.length },
      { path: 'model.safetensors', sha256: sha(weights), size: weights.length },
      { path: 'sub/copy.json', sha256: sha(config), size: config.length },
    ]);
    // Two files with one content: one blob.
    expect(first.created.sort()).toEqual([sha(config), sha(weights)].sort());
    expect((await store.listBlobs()).sort()).toEqual([sha(config), sha(weights)].sort());
    // The same weights again: nothing new.
    expect((await store.importFolder(src)).created).toEqual([]);

    expect(await store.blobSize(sha(weights))).toBe(weights.length);
    expect(await store.blobSize(sha(Buffer.from('absent')))).toBeNull();
    expect((await bytesOf(await store.readBlob(sha(weights)))).equals(weights)).toBe(true);
    const range = { start: 2 * 1024 * 1024 + 5, end: weights.length - 3 };
    const part = await bytesOf(await store.readBlob(sha(weights), range));
    expect(part.equals(weights.subarray(range.start, range.end + 1))).toBe(true);
    expect((await store.readBlobBytes(sha(config))).toString()).toBe(config.toString());
    // At most maxBytes + 1: enough to tell a file too large for its reader.
    expect((await store.readBlobBytes(sha(weights), 99)).length).toBe(100);
  });

  it('checks a checkpoint out as files and exports independent copies', async () => {
    const store = make();
    const src = tempDir('bonsai-src-');
    const a = randomBytes(1000);
    writeFileSync(join(src, 'a.bin'), a);
    const { files } = await store.importFolder(src);
    const out = join(tempDir('bonsai-out-'), 'ckpt');
    await store.checkout([{ path: 'deep/a.bin', sha256: files[0]!.sha256 }], out);
    expect(readFileSync(join(out, 'deep', 'a.bin')).equals(a)).toBe(true);
    const copy = join(tempDir('bonsai-out-'), 'x', 'a.bin');
    await store.copyBlob(files[0]!.sha256, copy);
    writeFileSync(copy, 'changed');
    // The copy is not the stored blob.
    expect((await store.readBlobBytes(files[0]!.sha256)).equals(a)).toBe(true);
  });

  it('adopts a folder this process wrote, by moving its files in (multipart above 8 MiB on S3)', async () => {
    const store = make();
    const dir = await store.tempDir('prune');
    const big = randomBytes(20 * 1024 * 1024 + 3);
    writeFileSync(join(dir, 'model.safetensors'), big);
    const result = await store.adoptFolder(dir);
    expect(result.files).toEqual([{ path: 'model.safetensors', sha256: sha(big), size: big.length }]);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
    expect((await bytesOf(await store.readBlob(sha(big)))).equals(big)).toBe(true);
  });

  it('receives an announced object only when its size and sha256 match, and leaves nothing otherwise', async () => {
    const store = make();
    const body = randomBytes(4096);
    async function* chunks(b: Buffer) {
      yield b.subarray(0, 1000);
      yield b.subarray(1000);
    }
    await expect(store.receive(chunks(body), { sha256: sha(body), size: body.length + 1 })).rejects.toThrow(ObjectMismatchError);
    await expect(store.receive(chunks(body), { sha256: sha(body), size: body.length - 1 })).rejects.toThrow(/more than the 4095 bytes/);
    await expect(store.receive(chunks(body), { sha256: sha(Buffer.from('x')), size: body.length })).rejects.toThrow(/sha256 is/);
    expect(await store.listBlobs()).toEqual([]);
    expect(await store.receive(chunks(body), { sha256: sha(body), size: body.length })).toBe(true);
    expect(await store.receive(chunks(body), { sha256: sha(body), size: body.length })).toBe(false);
    expect(await store.listBlobs()).toEqual([sha(body)]);
  });

  it('removes blobs, and a touch restarts a blob’s age', async () => {
    const store = make();
    const dir = await store.tempDir('t');
    writeFileSync(join(dir, 'f'), 'content');
    const [f] = (await store.adoptFolder(dir)).files;
    const before = (await store.blobModified(f!.sha256))!;
    // S3's LastModified has a resolution of one second.
    await new Promise((r) => setTimeout(r, 1100));
    await store.touchBlob(f!.sha256);
    expect((await store.blobModified(f!.sha256))!.getTime()).toBeGreaterThan(before.getTime());
    await store.removeBlobs([f!.sha256]);
    expect(await store.hasBlob(f!.sha256)).toBe(false);
    expect(await store.blobModified(f!.sha256)).toBeNull();
    // Removing what is not there is not an error.
    await store.removeBlobs([f!.sha256]);
  });

  it('publishes an ONNX export from the local cache so that another machine can read it', async () => {
    const store = make();
    const file = join(store.onnxCache, 'abc', 'model.onnx');
    mkdirSync(join(store.onnxCache, 'abc'), { recursive: true });
    writeFileSync(file, 'graph');
    await store.publishExport(file);
    const key = store.exportKey('abc/model.onnx');
    expect((await store.objects.head(key))?.size).toBe(5);
    expect((await bytesOf(await store.objects.read(key))).toString()).toBe('graph');
    await expect(store.publishExport(join(store.root, 'elsewhere'))).rejects.toThrow(/not in the ONNX cache/);
  });
});

describe('choosing the store', () => {
  it('is a folder by default and a bucket with BONSAI_ARTIFACTS_URL', () => {
    const home = tempDir('bonsai-home-');
    const folder = openArtifactStore(loadConfig({ BONSAI_HOME: home }));
    expect(folder.location).toBe(join(home, 'artifacts'));
    const bucket = openArtifactStore(loadConfig({ BONSAI_HOME: home, BONSAI_ARTIFACTS_URL: 's3://models/bonsai/prod/' }));
    expect(bucket.location).toBe('s3://models/bonsai/prod');
    expect(bucket.root).toBe(join(home, 'artifacts'));
    expect(() => bucket.blobPath('0'.repeat(64))).toThrow(/no blob on this machine's disk/);
  });

  it('names the variable when the URL is not an s3:// one', () => {
    expect(() => loadConfig({ BONSAI_ARTIFACTS_URL: 'https://example.com/b' })).toThrow(/BONSAI_ARTIFACTS_URL: must be s3:\/\/BUCKET/);
    expect(() => loadConfig({ BONSAI_S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/BONSAI_S3_FORCE_PATH_STYLE: must be true or false/);
  });
});
