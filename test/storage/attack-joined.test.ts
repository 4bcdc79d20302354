// Adversarial checks of reading a file in pieces as one (src/formats/joinedFile.ts): downloads
// from a folder store (ArtifactStore.readBlob) and a job's in-place checkout (checkout inPlace).
// Each case states what must hold; a failing case is a finding of the review of 4178f1e/8091070.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { JoinedFile } from '../../src/formats/joinedFile.js';
import { readAhead } from '../../src/formats/positionalRead.js';
import { encodeHeader, type TensorSpec } from '../../src/formats/safetensors/index.js';
import { copyInherited } from '../../src/pruning/output.js';
import { FolderObjects } from '../../src/storage/folderObjects.js';
import { ArtifactStore } from '../../src/storage/store.js';
import { tempDir } from '../helpers/tmp.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function safetensors(tensors: Array<[string, Buffer]>): Buffer {
  const specs: TensorSpec[] = tensors.map(([name, b]) => ({ name, dtype: 'U8', shape: [b.length] }));
  return Buffer.concat([Buffer.from(encodeHeader(specs)), ...tensors.map(([, b]) => b)]);
}

function folderStore(): { store: ArtifactStore; root: string } {
  const root = tempDir('bonsai-attack-store-');
  return { store: new ArtifactStore(root, new FolderObjects(root), { pieceGraceMs: 0 }), root };
}

async function put(store: ArtifactStore, files: Record<string, Buffer>): Promise<void> {
  const dir = await store.tempDir('src');
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  await store.adoptFolder(dir);
}

/** The path of a stored piece on the folder store's disk. */
function piecePath(root: string, piece: Buffer): string {
  const h = sha(piece);
  return join(root, 'pieces', h.slice(0, 2), h);
}

/** Descriptors this process holds open on files under `dir`. */
function openUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed between the listing and the readlink
    }
  }
  return out;
}

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// The review's cases (its findings fixed in the commit after fb01e85), run in every suite.
const attack = describe;

const settle = () => new Promise((r) => setTimeout(r, 100));

// Every rejection nobody handled while a case ran: in a server or a job process (Node's default
// --unhandled-rejections=throw) each one ends the whole process.
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

attack('JoinedFile: the next part opened ahead', () => {
  it('a read of part 0 alone, with part 1 truncated, leaves no unhandled rejection', async () => {
    const dir = tempDir('bonsai-attack-parts-');
    writeFileSync(join(dir, 'a'), Buffer.alloc(100, 1));
    writeFileSync(join(dir, 'b'), Buffer.alloc(10, 2));
    const file = new JoinedFile([
      { path: join(dir, 'a'), size: 100 },
      { path: join(dir, 'b'), size: 100 },
    ]);
    const got = await file.read(Buffer.alloc(50), 0, 50, 0);
    expect(got.bytesRead).toBe(50);
    await settle();
    await file.close();
    expect(unhandled.map(String)).toEqual([]);
  });

  it('a read of part 0 alone, with part 1 missing, leaves no unhandled rejection', async () => {
    const dir = tempDir('bonsai-attack-parts-');
    writeFileSync(join(dir, 'a'), Buffer.alloc(100, 1));
    const file = new JoinedFile([
      { path: join(dir, 'a'), size: 100 },
      { path: join(dir, 'gone'), size: 100 },
    ]);
    await file.read(Buffer.alloc(50), 0, 50, 0);
    await settle();
    await file.close();
    expect(unhandled.map(String)).toEqual([]);
  });
});

attack('readAhead over a joined file', () => {
  it("bytes asked for past the end are onShort's error, as with a plain file (not empty chunks forever)", async () => {
    const dir = tempDir('bonsai-attack-end-');
    writeFileSync(join(dir, 'a'), Buffer.alloc(100, 1));
    const file = new JoinedFile([{ path: join(dir, 'a'), size: 100 }]);
    let chunks = 0;
    const read = (async () => {
      for await (const _ of readAhead(file, {
        start: 0,
        end: 200,
        chunkBytes: 64,
        buffers: 'fresh',
        onShort: (at) => new Error(`short at ${at}`),
      }))
        if (++chunks > 1000) return 'more than 1000 chunks for 200 bytes';
      return 'ended without an error';
    })();
    await expect(read).rejects.toThrow(/short at 100/);
    await file.close();
  });
});

attack('JoinedFile under concurrent reads', () => {
  it('a hundred reads in flight on a hundred parts: right bytes, at most MAX_OPEN kept after, none after close', async () => {
    const dir = tempDir('bonsai-attack-many-');
    const bytes = Array.from({ length: 100 }, (_, i) => randomBytes(100 + i));
    const parts = bytes.map((b, i) => {
      const path = join(dir, `p${i}`);
      writeFileSync(path, b);
      return { path, size: b.length };
    });
    const whole = Buffer.concat(bytes);
    const file = new JoinedFile(parts);
    for (let round = 0; round < 3; round++) {
      // Each read spans a boundary (the last 10 bytes of part i and the first 10 of part i+1).
      await Promise.all(
        parts.slice(0, -1).map(async (_, i) => {
          const start = parts.slice(0, i + 1).reduce((a, p) => a + p.size, 0) - 10;
          const into = Buffer.alloc(20);
          let done = 0;
          while (done < 20) done += (await file.read(into, done, 20 - done, start + done)).bytesRead;
          expect(into.equals(whole.subarray(start, start + 20)), `read at ${start}`).toBe(true);
        }),
      );
    }
    await settle();
    expect(openUnder(dir).length).toBeLessThanOrEqual(33);
    await file.close();
    await settle();
    expect(openUnder(dir)).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});

attack('downloads of a file in pieces from a folder store', () => {
  // Pieces: the header, then one per tensor; an empty tensor is no piece, and two identical
  // tensors are the same piece twice.
  const one = Buffer.from([7]);
  const a = randomBytes(1000);
  const twin = randomBytes(333);
  const b = randomBytes(4097);
  const file = safetensors([
    ['t.one', one],
    ['t.empty', Buffer.alloc(0)],
    ['t.a', a],
    ['t.twin1', twin],
    ['t.twin2', Buffer.from(twin)],
    ['t.b', b],
  ]);

  it("every range starting and ending at, before or after a piece boundary is the file's bytes", async () => {
    const { store } = folderStore();
    await put(store, { 'model.safetensors': file });
    expect(await store.blobSize(sha(file))).toBe(file.length);
    const header = file.length - (1 + 1000 + 333 * 2 + 4097);
    let at = header;
    const bounds = [0, 1, 7, 8, 9, header];
    for (const n of [1, 1000, 333, 333, 4097]) {
      at += n;
      bounds.push(at);
    }
    const points = [...new Set(bounds.flatMap((p) => [p - 1, p, p + 1]))].filter((p) => p >= 0 && p < file.length).sort((x, y) => x - y);
    for (const start of points)
      for (const end of points) {
        if (end < start) continue;
        const got = await bytesOf(await store.readBlob(sha(file), { start, end }));
        expect(got.equals(file.subarray(start, end + 1)), `range ${start}-${end}`).toBe(true);
      }
    expect((await bytesOf(await store.readBlob(sha(file)))).equals(file)).toBe(true);
    // A range ending past the file (readBlobBytes' maxBytes + 1), and one starting past it.
    expect((await bytesOf(await store.readBlob(sha(file), { start: 5, end: file.length + 100 }))).equals(file.subarray(5))).toBe(true);
    expect((await store.readBlobBytes(sha(file), 10)).equals(file.subarray(0, 11))).toBe(true);
    expect((await bytesOf(await store.readBlob(sha(file), { start: file.length + 1, end: file.length + 9 }))).length).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it('a client that stops after the first chunk leaves no piece open', async () => {
    const { store, root } = folderStore();
    const big = safetensors([
      ['x', randomBytes(3 << 20)],
      ['y', randomBytes(3 << 20)],
      ['z', randomBytes(3 << 20)],
    ]);
    await put(store, { 'model.safetensors': big });
    const stream = await store.readBlob(sha(big));
    for await (const _ of stream) break;
    await settle();
    expect(openUnder(join(root, 'pieces'))).toEqual([]);
    // Destroyed with an error while reads are in flight (a socket reset).
    const reset = await store.readBlob(sha(big));
    await reset[Symbol.asyncIterator]().next();
    reset.destroy(new Error('client gone'));
    reset.on('error', () => {});
    await settle();
    expect(openUnder(join(root, 'pieces'))).toEqual([]);
    // Destroyed without a single read (a client gone before the body started).
    (await store.readBlob(sha(big), { start: 10, end: 5_000_000 })).destroy();
    await settle();
    expect(openUnder(join(root, 'pieces'))).toEqual([]);
  });

  it('a download stalled halfway keeps a few piece descriptors open, not MAX_OPEN', async () => {
    // A download reads its pieces in order and never goes back: a piece read to its end is not
    // needed again. Kept open, 32 per download (4601bcb: 1), a few hundred stalled clients of a
    // large model use up the server's descriptors (EMFILE for every open, socket and query).
    const { store, root } = folderStore();
    const f = safetensors(Array.from({ length: 100 }, (_, i) => [`t${i}`, randomBytes(64 << 10)] as [string, Buffer]));
    await put(store, { 'model.safetensors': f });
    const stream = await store.readBlob(sha(f));
    let got = 0;
    for await (const c of stream) {
      got += (c as Buffer).length;
      if (got >= f.length / 2) {
        await settle();
        // Four reads in flight, the next piece opened ahead, one to spare.
        expect(openUnder(join(root, 'pieces')).length).toBeLessThanOrEqual(6);
        break;
      }
    }
  });

  it("a piece missing after a large one is the stream's error, not an unhandled rejection", async () => {
    const { store, root } = folderStore();
    const x = randomBytes(6 << 20);
    const y = randomBytes(1000);
    const big = safetensors([
      ['x', x],
      ['y', y],
    ]);
    await put(store, { 'model.safetensors': big });
    rmSync(piecePath(root, y));
    // Only the bytes of x and y: the header piece is not read.
    const start = big.length - x.length - y.length;
    await expect(bytesOf(await store.readBlob(sha(big), { start, end: big.length - 1 }))).rejects.toThrow(/ENOENT|no such file/);
    await settle();
    expect(unhandled.map(String)).toEqual([]);
  });

  it('a model deleted while it is downloaded ends the download (all bytes, or an error), never the process', async () => {
    // The registry's model deletion (src/registry/models.ts) removes the pieces no other file
    // names at once (here pieceGraceMs 0; in production any piece older than the grace).
    const { store } = folderStore();
    const big = safetensors([
      ['x', randomBytes(6 << 20)],
      ['y', randomBytes(6 << 20)],
      ['z', randomBytes(6 << 20)],
    ]);
    await put(store, { 'model.safetensors': big });
    const stream = await store.readBlob(sha(big));
    const it = stream[Symbol.asyncIterator]();
    const chunks: Buffer[] = [(await it.next()).value as Buffer];
    await store.removeBlobs([sha(big)]);
    const rest = (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) return Buffer.concat(chunks);
        chunks.push(r.value as Buffer);
      }
    })();
    // Pieces opened before the deletion may be read whole; one opened after it cannot.
    const outcome = await rest.then(
      (bytes) => (bytes.equals(big) ? 'all bytes' : `${bytes.length} wrong bytes`),
      (err: Error) => (/ENOENT|no such file/.test(err.message) ? 'an error' : err.message),
    );
    expect(['all bytes', 'an error']).toContain(outcome);
    await settle();
    expect(unhandled.map(String)).toEqual([]);
  });

  it("a piece truncated on disk is the stream's error, never short or wrong bytes", async () => {
    const { store, root } = folderStore();
    const x = randomBytes(5000);
    const y = randomBytes(5000);
    const f = safetensors([
      ['x', x],
      ['y', y],
    ]);
    await put(store, { 'model.safetensors': f });
    truncateSync(piecePath(root, x), 100);
    await expect(bytesOf(await store.readBlob(sha(f)))).rejects.toThrow(/bytes, not the/);
    await settle();
    expect(unhandled.map(String)).toEqual([]);
  });
});

attack("a job's in-place checkout", () => {
  it('opening the checkpoint reads the header only: a bad later piece is a clear error when read, not a crash', async () => {
    const { store } = folderStore();
    const x = randomBytes(5000);
    const y = randomBytes(5000);
    const f = safetensors([
      ['x', x],
      ['y', y],
    ]);
    await put(store, { 'model.safetensors': f, 'config.json': Buffer.from('{}') });
    const dir = join(await store.tempDir('job'), 'parent');
    await store.checkout(
      [
        { path: 'model.safetensors', sha256: sha(f) },
        { path: 'config.json', sha256: sha(Buffer.from('{}')) },
      ],
      dir,
      undefined,
      { inPlace: true },
    );
    // The job's own link to x replaced by a shorter file (disk damage, an operator's mistake).
    const link = join(`${dir}.pieces`, sha(x));
    rmSync(link);
    writeFileSync(link, x.subarray(0, 10));
    const tensors = await CheckpointTensors.open(dir);
    try {
      await expect(tensors.readBytes('x')).rejects.toThrow(/bytes, not the/);
      expect(Buffer.from(await tensors.readBytes('y')).equals(y)).toBe(true);
    } finally {
      await tensors.close();
      store.release(dir);
    }
    await settle();
    expect(unhandled.map(String)).toEqual([]);
  });

  it('two identical tensors (one piece twice) and an empty one read back in place, sharded', async () => {
    const { store } = folderStore();
    const twin = randomBytes(3000);
    const other = randomBytes(777);
    const shard1 = safetensors([
      ['a', twin],
      ['e', Buffer.alloc(0)],
      ['b', Buffer.from(twin)],
    ]);
    const shard2 = safetensors([['c', other]]);
    const index = Buffer.from(
      JSON.stringify({
        weight_map: { a: 'model-1.safetensors', e: 'model-1.safetensors', b: 'model-1.safetensors', c: 'model-2.safetensors' },
      }),
    );
    const files = { 'model-1.safetensors': shard1, 'model-2.safetensors': shard2, 'model.safetensors.index.json': index };
    await put(store, files);
    const dir = join(await store.tempDir('job'), 'parent');
    await store.checkout(
      Object.entries(files).map(([path, b]) => ({ path, sha256: sha(b) })),
      dir,
      undefined,
      { inPlace: true },
    );
    // Read in place: the shards are placeholders, their pieces linked beside the folder.
    expect(readFileSync(join(dir, 'model-1.safetensors')).length).toBe(0);
    expect(readFileSync(join(dir, 'model-2.safetensors')).length).toBe(0);
    const tensors = await CheckpointTensors.open(dir);
    try {
      expect(Buffer.from(await tensors.readBytes('a')).equals(twin)).toBe(true);
      expect(Buffer.from(await tensors.readBytes('b')).equals(twin)).toBe(true);
      expect((await tensors.readBytes('e')).length).toBe(0);
      expect(Buffer.from(await tensors.readBytes('c')).equals(other)).toBe(true);
      expect(tensors.bytesOnDisk()).toBe(shard1.length + shard2.length);
    } finally {
      await tensors.close();
      store.release(dir);
    }
    expect(openUnder(`${dir}.pieces`)).toEqual([]);
  });

  it('a file written at a checked-out path once the checkout is removed is read as itself, not as the old view', async () => {
    // The job tasks (workers/*) never call store.release: a view lives as long as the process, keyed
    // by path alone. Low risk today (one job per process, a fresh tmp folder each), but a path
    // reused in the same process is read as the old file's pieces, silently.
    const { store } = folderStore();
    const old = safetensors([['w', randomBytes(4000)]]);
    await put(store, { 'model.safetensors': old });
    const dir = join(await store.tempDir('job'), 'parent');
    await store.checkout([{ path: 'model.safetensors', sha256: sha(old) }], dir, undefined, { inPlace: true });
    rmSync(dir, { recursive: true, force: true });
    const fresh = randomBytes(10);
    const now = safetensors([['v', fresh]]);
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors'), now);
    const tensors = await CheckpointTensors.open(dir);
    try {
      expect(tensors.names()).toEqual(['v']);
      expect(Buffer.from(await tensors.readBytes('v')).equals(fresh)).toBe(true);
    } finally {
      await tensors.close();
      store.release(dir);
    }
  });

  it('a tensor stream stopped early and the checkpoint closed leave no piece open', async () => {
    const { store } = folderStore();
    const f = safetensors([
      ['x', randomBytes(3 << 20)],
      ['y', randomBytes(3 << 20)],
    ]);
    await put(store, { 'model.safetensors': f, 'config.json': Buffer.from('{}') });
    const dir = join(await store.tempDir('job'), 'parent');
    await store.checkout([{ path: 'model.safetensors', sha256: sha(f) }], dir, undefined, { inPlace: true });
    const tensors = await CheckpointTensors.open(dir);
    for await (const _ of tensors.streamBytes('x', 1 << 20)) break;
    await tensors.close();
    await settle();
    expect(openUnder(`${dir}.pieces`)).toEqual([]);
    store.release(dir);
  });

  it('a file of the checkout that is not read as safetensors keeps its bytes (not an empty placeholder)', async () => {
    // The store cuts any file whose bytes parse as safetensors, whatever its name (layout.ts); the
    // prune job copies a parent's chat_template.jinja or tokenizer.model into the child
    // (src/pruning/output.ts copyInherited) and readers of tokenizer files use readFile.
    const { store } = folderStore();
    const odd = safetensors([['w', randomBytes(4000)]]);
    await put(store, { 'chat_template.jinja': odd });
    const job = await store.tempDir('job');
    const dir = join(job, 'parent');
    await store.checkout([{ path: 'chat_template.jinja', sha256: sha(odd) }], dir, undefined, { inPlace: true });
    try {
      expect((await readFile(join(dir, 'chat_template.jinja'))).length).toBe(odd.length);
      const out = join(job, 'out');
      await copyInherited(dir, out, ['chat_template.jinja']);
      expect(readFileSync(join(out, 'chat_template.jinja')).equals(odd)).toBe(true);
    } finally {
      store.release(dir);
    }
  });
});
