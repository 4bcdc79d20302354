// A prune's safetensors files written straight as the store's pieces (src/storage/piecesWriter.ts)
// and stored by renames: the stored file must be byte for byte the file the engine writes to a
// folder, cut as layout.ts cuts any file, with only the pieces the store lacks put. The expected
// files and hashes are built here from encodeHeader and the test's own bytes (or, for the shared
// model, from the engine's ordinary folder output, read back and hashed in the test).
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTensors } from '../../src/formats/checkpoint/writeTensors.js';
import { encodeHeader, type TensorSpec } from '../../src/formats/safetensors/index.js';
import { prune } from '../../src/pruning/engine.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { FolderObjects } from '../../src/storage/folderObjects.js';
import { ArtifactStore } from '../../src/storage/store.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { logged, loggedBackends } from '../helpers/loggedStore.js';
import { type LocalS3, startLocalS3 } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const MiB = 1 << 20;

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3('pwriter');
});
afterAll(() => s3?.close());

const backends = loggedBackends('pw', () => s3);

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `bytes` as a checkpoint stream gives them: 1 MiB chunks in one reused buffer. */
async function* reusing(bytes: Buffer): AsyncGenerator<Uint8Array> {
  const buf = Buffer.alloc(MiB);
  for (let at = 0; at < bytes.length; at += MiB) {
    const n = bytes.copy(buf, 0, at, Math.min(bytes.length, at + MiB));
    yield buf.subarray(0, n);
    buf.fill(0xee);
  }
}

describe.each(backends)('tensors written as pieces on a %s', (_kind, make) => {
  // Past 32 MiB (the whole file hashed on a thread), an embedding past 8 MiB (staged on disk as it
  // arrives), an empty tensor (no piece), two equal norms (one piece), a streamed matrix.
  const embed = randomBytes(24 * MiB + 6);
  const mlp = randomBytes(10 * MiB);
  const norm = randomBytes(4096);
  const tensors: Array<[string, Buffer, boolean]> = [
    ['a.embed', embed, false],
    ['b.empty', Buffer.alloc(0), false],
    ['c.mlp', mlp, true],
    ['d.norm', norm, false],
    ['e.norm', Buffer.from(norm), true],
  ];
  const specs: TensorSpec[] = tensors.map(([name, b]) => ({ name, dtype: 'BF16', shape: [b.length / 2] }));
  const metadata = { format: 'pt' };
  const header = Buffer.from(encodeHeader(specs, metadata));
  const file = Buffer.concat([header, ...tensors.map(([, b]) => b)]);

  async function write(store: ArtifactStore, changed?: Buffer) {
    const out = await store.tempDir('out');
    const writers = store.piecesWriters(join(await store.tempDir('job'), 'pieces'))!;
    const bytes = new Map(tensors.map(([n, b, streamed]) => [n, { b: n === 'c.mlp' && changed ? changed : b, streamed }]));
    await writeTensors(
      out,
      specs,
      (s) => {
        const t = bytes.get(s.name)!;
        return t.streamed ? reusing(t.b) : t.b;
      },
      { metadata, create: writers.create },
    );
    // Nothing is written into the folder itself: the file exists only as pieces.
    expect(readdirSync(out)).toEqual([]);
    return store.adoptFolder(out, undefined, writers.files);
  }

  it('stores the exact file the folder writer writes, cut as layout.ts cuts it, each new piece put once', async () => {
    const log = { puts: [] as string[] };
    const store = make(log);
    const { files, created } = await write(store);
    expect(files).toEqual([{ path: 'model.safetensors', sha256: sha(file), size: file.length }]);
    expect(created).toEqual([sha(file)]);
    expect((await bytesOf(await store.readBlob(sha(file)))).equals(file)).toBe(true);
    const m = (await store.listManifests()).get(sha(file))!;
    expect(m.pieces).toEqual([
      { sha256: sha(header), size: header.length },
      { sha256: sha(embed), size: embed.length },
      { sha256: sha(mlp), size: mlp.length },
      { sha256: sha(norm), size: norm.length },
      { sha256: sha(norm), size: norm.length },
    ]);
    expect(log.puts.filter((k) => k.startsWith('pieces/')).length).toBe(4);

    // A second file that changes only the matrix: only that piece is put.
    log.puts.length = 0;
    const changed = randomBytes(mlp.length);
    const child = Buffer.concat([header, embed, changed, norm, norm]);
    const second = await write(store, changed);
    expect(second.files[0]!.sha256).toBe(sha(child));
    expect(log.puts.filter((k) => k.startsWith('pieces/')).map((k) => k.slice(k.lastIndexOf('/') + 1))).toEqual([sha(changed)]);
    expect((await bytesOf(await store.readBlob(sha(child)))).equals(child)).toBe(true);

    // The same file again: nothing new, and `created` says so.
    log.puts.length = 0;
    expect((await write(store)).created).toEqual([]);
    expect(log.puts).toEqual([]);
  });

  it('a fault at any put leaves no manifest and no piece', async () => {
    const probe = { puts: [] as string[] };
    await write(make(probe));
    expect(probe.puts.length).toBe(5);
    for (let failAt = 0; failAt < probe.puts.length; failAt++) {
      const store = make({ puts: [], failAt });
      await expect(write(store), `fault ${failAt}`).rejects.toThrow(/injected fault/);
      expect(await store.hasBlob(sha(file)), `fault ${failAt}`).toBe(false);
      expect(await store.listPieces(), `fault ${failAt}`).toEqual([]);
    }
  }, 120_000);

  it('a tensor of the wrong length is refused, naming it, and nothing is stored', async () => {
    const store = make({ puts: [] });
    const writers = store.piecesWriters(await store.tempDir('job'))!;
    const out = await store.tempDir('out');
    const short = (s: TensorSpec) => (s.name === 'c.mlp' ? mlp.subarray(2) : tensors.find(([n]) => n === s.name)![1]);
    await expect(writeTensors(out, specs, short, { metadata, create: writers.create })).rejects.toThrow(
      /c\.mlp.*header promised|header promised.*c\.mlp/s,
    );
    expect(writers.files.size).toBe(0);
    expect(await store.listPieces()).toEqual([]);
  });
});

describe('a prune written as pieces', () => {
  it.each([
    ['width 30 %', { method: 'mlp-width', pruningFraction: 0.3 }],
    ['magnitude 50 %', { method: 'sparsity', sparsity: 0.5 }],
  ])('%s: the stored file is the engine’s folder output byte for byte, and only rewritten tensors are put', async (_name, recipe) => {
    const log = { puts: [] as string[] };
    const store = make();
    function make() {
      const root = tempDir('bonsai-pwp-');
      return new ArtifactStore(root, logged(new FolderObjects(root), log));
    }
    // The parent in pieces first, as a registered parent is.
    const parent = await store.importFolder(sharedModel, ['model.safetensors']);
    const parentHashes = Object.fromEntries(
      readdirSync(sharedModel)
        .filter((f) => f !== 'reference.json')
        .map((f) => [f, sha(readFileSync(join(sharedModel, f)))]),
    );
    const folder = join(tempDir('bonsai-pwp-folder-'), 'out');
    await prune(sharedModel, folder, parseRecipe(recipe), { parentHashes });
    const expected = readFileSync(join(folder, 'model.safetensors'));

    log.puts.length = 0;
    const writers = store.piecesWriters(join(await store.tempDir('job'), 'pieces'))!;
    const out = join(await store.tempDir('prune'), 'out');
    await prune(sharedModel, out, parseRecipe(recipe), { parentHashes, tensorWriter: writers.create });
    expect(readdirSync(out)).not.toContain('model.safetensors');
    const { files } = await store.adoptFolder(out, undefined, writers.files);
    const weights = files.find((f) => f.path === 'model.safetensors')!;
    expect(weights).toEqual({ path: 'model.safetensors', sha256: sha(expected), size: expected.length });
    expect((await bytesOf(await store.readBlob(weights.sha256))).equals(expected)).toBe(true);
    // Every other file of the folder output, stored whole, the same bytes.
    for (const f of files.filter((x) => x.path !== 'model.safetensors'))
      expect(sha(readFileSync(join(folder, f.path))), f.path).toBe(f.sha256);
    expect(files.map((f) => f.path).sort()).toEqual(readdirSync(folder).sort());

    // Only the pieces the parent lacks were put: count the child's pieces not among the parent's.
    const parentPieces = new Set((await store.pieceHashes(parent.files[0]!.sha256))!);
    const childPieces = (await store.pieceHashes(weights.sha256))!;
    const fresh = new Set(childPieces.filter((p) => !parentPieces.has(p)));
    expect(fresh.size).toBeGreaterThan(0);
    expect(childPieces.length - fresh.size).toBeGreaterThan(0);
    expect(new Set(log.puts.filter((k) => k.startsWith('pieces/')).map((k) => k.slice(k.lastIndexOf('/') + 1)))).toEqual(fresh);
  });
});
