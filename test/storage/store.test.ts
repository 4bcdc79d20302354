// The artifact store's contract, run against both backends: a folder and an S3-compatible bucket
// (s3rver, a local server speaking the S3 protocol).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { encodeHeader, type TensorSpec } from '../../src/formats/safetensors/index.js';
import { FolderObjects } from '../../src/storage/folderObjects.js';
import type { ObjectStore } from '../../src/storage/objects.js';
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

type Make = (options?: { pieceGraceMs?: number; wrap?: (o: ObjectStore) => ObjectStore }) => ArtifactStore;

const backends: Array<[string, Make]> = [
  [
    'folder',
    (o = {}) => {
      const root = tempDir('bonsai-store-');
      const objects = new FolderObjects(root);
      return new ArtifactStore(root, o.wrap ? o.wrap(objects) : objects, o);
    },
  ],
  [
    's3',
    (o = {}) => {
      // A prefix per store, so the cases do not see each other's objects.
      const prefix = `suite/${randomBytes(4).toString('hex')}`;
      const objects = new S3Objects({ bucket: 'bonsai-test', prefix }, { forcePathStyle: true, client: s3.client });
      return new ArtifactStore(tempDir('bonsai-store-local-'), o.wrap ? o.wrap(objects) : objects, o);
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

/** A safetensors file of these tensors (BF16 vectors), each tensor's bytes given. */
function safetensors(tensors: Array<[string, Buffer]>): Buffer {
  const specs: TensorSpec[] = tensors.map(([name, b]) => ({ name, dtype: 'BF16', shape: [b.length / 2] }));
  return Buffer.concat([Buffer.from(encodeHeader(specs)), ...tensors.map(([, b]) => b)]);
}

/** Every manifest's pieces are in the store: the invariant a crash must never break. */
async function checkNoDanglingManifest(store: ArtifactStore): Promise<void> {
  const pieces = new Set(await store.listPieces());
  for (const [file, m] of await store.listManifests())
    for (const p of m.pieces) expect(pieces.has(p.sha256), `${file} → ${p.sha256}`).toBe(true);
}

describe.each(backends)('safetensors files in pieces on a %s', (_kind, make) => {
  const shared = randomBytes(64 * 1024);
  const embedBase = randomBytes(32 * 1024);
  const embedTrim = embedBase.subarray(0, 16 * 1024);
  const base = safetensors([
    ['model.embed_tokens.weight', embedBase],
    ['model.layers.0.mlp.weight', shared],
  ]);
  // A vocabulary trim: a smaller embedding, the block byte for byte, under the same name.
  const trim = safetensors([
    ['model.embed_tokens.weight', Buffer.from(embedTrim)],
    ['model.layers.0.mlp.weight', shared],
  ]);

  async function stage(store: ArtifactStore, files: Record<string, Buffer>): Promise<string> {
    const dir = await store.tempDir('src');
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    return dir;
  }

  it('stores a tensor two files share once, and reads each file back byte for byte, whole and by range', async () => {
    const store = make({ pieceGraceMs: 0 });
    await store.adoptFolder(await stage(store, { 'base.safetensors': base }));
    await store.adoptFolder(await stage(store, { 'trim.safetensors': trim, 'config.json': Buffer.from('{}') }));
    // Two files in pieces (manifests), one stored whole.
    expect((await store.listBlobs()).sort()).toEqual([sha(base), sha(trim), sha(Buffer.from('{}'))].sort());
    const manifests = await store.listManifests();
    expect([...manifests.keys()].sort()).toEqual([sha(base), sha(trim)].sort());
    // Pieces: two headers, two embeddings, one shared block.
    expect((await store.listPieces()).length).toBe(5);
    expect(manifests.get(sha(trim))!.pieces.map((p) => p.size)).toEqual([
      trim.length - embedTrim.length - shared.length,
      embedTrim.length,
      shared.length,
    ]);
    for (const file of [base, trim]) {
      expect(await store.blobSize(sha(file))).toBe(file.length);
      const whole = await bytesOf(await store.readBlob(sha(file)));
      expect(sha(whole)).toBe(sha(file));
      // Ranges inside one piece, across the header/tensor and tensor/tensor boundaries, and the last byte.
      const header = 8 + Number(file.readBigUInt64LE(0));
      for (const [start, end] of [
        [3, 5],
        [header - 4, header + 9],
        [file.length - shared.length - 7, file.length - shared.length + 7],
        [file.length - 1, file.length - 1],
        [0, file.length - 1],
      ] as const) {
        const part = await bytesOf(await store.readBlob(sha(file), { start, end }));
        expect(part.equals(file.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
    }
    const out = tempDir('bonsai-out-');
    await store.checkout([{ path: 'm/model.safetensors', sha256: sha(trim) }], out);
    expect(sha(readFileSync(join(out, 'm', 'model.safetensors')))).toBe(sha(trim));
  });

  it('checks a file in pieces out in place for a reader in this process (a folder store), or whole (a bucket)', async () => {
    const store = make({ pieceGraceMs: 0 });
    await store.adoptFolder(await stage(store, { 'model.safetensors': trim, 'config.json': Buffer.from('{}') }));
    const files = [
      { path: 'model.safetensors', sha256: sha(trim) },
      { path: 'config.json', sha256: sha(Buffer.from('{}')) },
    ];
    const dir = join(await store.tempDir('job'), 'parent');
    await store.checkout(files, dir, undefined, { inPlace: true });
    const onDisk = readFileSync(join(dir, 'model.safetensors'));
    const tensors = await CheckpointTensors.open(dir);
    try {
      expect(Buffer.from(await tensors.readBytes('model.embed_tokens.weight')).equals(embedTrim)).toBe(true);
      const streamed: Buffer[] = [];
      for await (const c of tensors.streamBytes('model.layers.0.mlp.weight', 5_000)) streamed.push(Buffer.from(c));
      expect(Buffer.concat(streamed).equals(shared)).toBe(true);
      expect(tensors.bytesOnDisk()).toBe(trim.length);
      if (_kind === 'folder') {
        // Nothing written out: an empty placeholder, the pieces linked beside the folder.
        expect(onDisk.length).toBe(0);
        // The model deleted and its pieces freed while the job reads: the links keep them.
        await store.removeBlobs([sha(trim)]);
        await store.sweepPieces();
        expect(await store.listPieces()).toEqual([]);
        expect(Buffer.from(await tensors.readBytes('model.layers.0.mlp.weight')).equals(shared)).toBe(true);
      } else expect(sha(onDisk)).toBe(sha(trim));
    } finally {
      await tensors.close();
    }
    // Read under import roots (a user's folder), the placeholder is what it is: never the view.
    if (_kind === 'folder') {
      await expect(CheckpointTensors.open(dir, [dir])).rejects.toThrow(/0 bytes/);
      store.release(dir);
      await expect(CheckpointTensors.open(dir)).rejects.toThrow(/0 bytes/);
    }
  });

  it('a removal frees the pieces no other file uses, and keeps the shared ones', async () => {
    const store = make({ pieceGraceMs: 0 });
    await store.adoptFolder(await stage(store, { 'a.safetensors': base, 'b.safetensors': trim }));
    const sharedPiece = sha(shared);
    await store.removeBlobs([sha(base)]);
    expect(await store.hasBlob(sha(base))).toBe(false);
    expect((await store.listPieces()).sort()).toEqual(manifestPieces(await store.listManifests()));
    expect(await store.listPieces()).toContain(sharedPiece);
    expect(sha(await bytesOf(await store.readBlob(sha(trim))))).toBe(sha(trim));
    await store.removeBlobs([sha(trim)]);
    expect(await store.listPieces()).toEqual([]);
    expect(await store.listBlobs()).toEqual([]);
  });

  it('keeps young unreferenced pieces (a file being stored may have just found them) until the sweep after the grace', async () => {
    const store = make({ pieceGraceMs: 60_000 });
    await store.adoptFolder(await stage(store, { 'a.safetensors': base }));
    await store.removeBlobs([sha(base)]);
    expect((await store.listPieces()).length).toBe(3);
    // The same objects without the grace: the sweep removes what nothing names.
    const swept = new ArtifactStore(store.root, store.objects, { pieceGraceMs: 0 });
    expect(await swept.sweepPieces()).toBe(3);
    expect(await store.listPieces()).toEqual([]);
  });

  it('a fault at any write or removal leaves no manifest naming a missing piece, and the sweep leaves only named pieces', async () => {
    // Count the object operations of one store and one removal, then fail at each in turn.
    let calls = 0;
    const counting = (o: ObjectStore): ObjectStore => faulty(o, () => calls++ < 0);
    const probe = make({ pieceGraceMs: 0, wrap: counting });
    await probe.adoptFolder(await stage(probe, { 'a.safetensors': base, 'b.safetensors': trim }));
    await probe.removeBlobs([sha(base)]);
    const total = calls;
    expect(total).toBeGreaterThan(8);
    for (let failAt = 0; failAt < total; failAt++) {
      let n = 0;
      const store = make({ pieceGraceMs: 0, wrap: (o) => faulty(o, () => n++ === failAt) });
      let failed = false;
      try {
        await store.adoptFolder(await stage(store, { 'a.safetensors': base, 'b.safetensors': trim }));
        await store.removeBlobs([sha(base)]);
      } catch (err) {
        expect(String(err)).toMatch(/injected fault/);
        failed = true;
      }
      expect(failed, `fault ${failAt}`).toBe(true);
      await checkNoDanglingManifest(store);
      const clean = new ArtifactStore(store.root, unwrapped.get(store.objects)!, { pieceGraceMs: 0 });
      await clean.sweepPieces();
      expect((await clean.listPieces()).sort(), `fault ${failAt}`).toEqual(manifestPieces(await clean.listManifests()));
    }
  }, 120_000);
});

function manifestPieces(manifests: Map<string, { pieces: Array<{ sha256: string }> }>): string[] {
  return [...new Set([...manifests.values()].flatMap((m) => m.pieces.map((p) => p.sha256)))].sort();
}

const unwrapped = new WeakMap<ObjectStore, ObjectStore>();

/** The object store with a fault injected where `fail()` says: each writing or removing call asks it. */
function faulty(o: ObjectStore, fail: () => boolean): ObjectStore {
  const check = () => {
    if (fail()) throw new Error('injected fault');
  };
  const wrapped: ObjectStore = {
    location: o.location,
    head: (k) => o.head(k),
    read: (k, r) => o.read(k, r),
    localPath: (k) => o.localPath(k),
    list: (p) => o.list(p),
    materialize: (k, t, s) => o.materialize(k, t, s),
    putFile: async (k, f, s) => {
      check();
      await o.putFile(k, f, s);
    },
    putStream: async (k, b, s) => {
      check();
      await o.putStream(k, b, s);
    },
    copyIn: async (k, f, s) => {
      check();
      await o.copyIn(k, f, s);
    },
    touch: async (k) => {
      check();
      return o.touch(k);
    },
    remove: async (keys) => {
      // One key at a time, so a fault can fall between a manifest's removal and its pieces'.
      for (const k of keys) {
        check();
        await o.remove([k]);
      }
    },
  };
  unwrapped.set(wrapped, o);
  return wrapped;
}
