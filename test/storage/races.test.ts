// What an adversarial review of the piece store found (issue 31), each made to happen here: a
// manifest that cannot be read must stop a sweep instead of handing its pieces to it; a failed
// store must not remove a piece another file has come to name; a piece removed under a store that
// found it is staged again, or the store fails without a manifest; a file the store has whole
// puts no pieces; a header too long to be worth pieces stores the file whole. Files and hashes are
// built here from encodeHeader and the test's own bytes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeHeader } from '../../src/formats/safetensors/index.js';
import { FolderObjects } from '../../src/storage/folderObjects.js';
import { PIECES_HEADER_LIMIT } from '../../src/storage/layout.js';
import type { ObjectStore } from '../../src/storage/objects.js';
import { ArtifactStore } from '../../src/storage/store.js';
import { tempDir } from '../helpers/tmp.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function safetensors(tensors: Array<[string, Buffer]>): Buffer {
  const header = Buffer.from(encodeHeader(tensors.map(([name, b]) => ({ name, dtype: 'U8' as const, shape: [b.length] }))));
  return Buffer.concat([header, ...tensors.map(([, b]) => b)]);
}

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A folder store whose object calls go through `hooks` first (each may act, then the call goes on). */
function hooked(hooks: Partial<Record<'read' | 'putFile' | 'putStream' | 'touch', (key: string) => Promise<void> | void>>) {
  const root = tempDir('bonsai-race-');
  const o = new FolderObjects(root);
  const objects: ObjectStore = Object.assign(Object.create(o) as ObjectStore, {
    read: async (k: string, r?: { start: number; end: number }) => {
      await hooks.read?.(k);
      return o.read(k, r);
    },
    putFile: async (k: string, f: string) => {
      await hooks.putFile?.(k);
      return o.putFile(k, f);
    },
    putStream: async (k: string, b: Buffer, s?: AbortSignal) => {
      await hooks.putStream?.(k);
      return o.putStream(k, b, s);
    },
    touch: async (k: string) => {
      await hooks.touch?.(k);
      return o.touch(k);
    },
  });
  return new ArtifactStore(root, objects, { pieceGraceMs: 0 });
}

const upload = (s: ArtifactStore, file: Buffer) => s.receive(Readable.from([file]), { sha256: sha(file), size: file.length });

describe('the piece store under races and faults', () => {
  const shared = randomBytes(4000);
  const y = randomBytes(3000);
  const a = safetensors([
    ['x', shared],
    ['y', y],
  ]);
  const pieceKey = (b: Buffer) => `pieces/${sha(b).slice(0, 2)}/${sha(b)}`;
  const b = safetensors([
    ['x', shared],
    ['z', randomBytes(3000)],
  ]);

  it('a manifest that cannot be read stops the sweep: no piece of the file it names is removed', async () => {
    let failReads = false;
    const s = hooked({
      read: (k) => {
        if (failReads && k.startsWith('manifests/')) throw Object.assign(new Error('503 Slow Down'), { code: 'SlowDown' });
      },
    });
    await upload(s, a);
    const pieces = (await s.listPieces()).sort();
    failReads = true;
    const fresh = new ArtifactStore(s.root, s.objects, { pieceGraceMs: 0 }); // no manifest cached
    await expect(fresh.sweepPieces()).rejects.toThrow(/503/);
    expect((await s.listPieces()).sort()).toEqual(pieces);
    failReads = false;
    expect((await bytesOf(await fresh.readBlob(sha(a)))).equals(a)).toBe(true);
  });

  it('a manifests folder that cannot be listed stops the sweep (it is not read as "no manifests")', async () => {
    const s = hooked({});
    await upload(s, a);
    const pieces = (await s.listPieces()).sort();
    // A file where the folder should be: readdir fails with ENOTDIR (root is not stopped by modes).
    const manifests = join(s.root, 'manifests');
    rmSync(manifests, { recursive: true });
    writeFileSync(manifests, '');
    await expect(new ArtifactStore(s.root, undefined, { pieceGraceMs: 0 }).sweepPieces()).rejects.toThrow(/ENOTDIR/);
    expect((await s.listPieces()).sort()).toEqual(pieces);
  });

  it('a failed store does not remove a piece another file came to name meanwhile', async () => {
    let other: Promise<unknown> | undefined;
    const s: ArtifactStore = hooked({
      // `a`'s put of y fails, once its piece x has landed and `b` has stored itself on x.
      putFile: async (k) => {
        if (other !== undefined || k !== pieceKey(y)) return;
        while (!(await s.objects.head(pieceKey(shared)))) await new Promise((r) => setTimeout(r, 5));
        other = upload(s, b);
        await other;
        throw new Error('injected fault');
      },
    });
    await expect(upload(s, a)).rejects.toThrow(/injected fault/);
    expect(other).toBeDefined();
    expect((await bytesOf(await s.readBlob(sha(b)))).equals(b)).toBe(true);
    expect(await s.hasBlob(sha(a))).toBe(false);
  });

  it('a piece removed between the check and the touch is staged again from the file’s own bytes', async () => {
    let removeOnTouch = true;
    const s: ArtifactStore = hooked({
      touch: async (k) => {
        if (removeOnTouch && k.startsWith('pieces/')) {
          removeOnTouch = false;
          await s.objects.remove([k]);
        }
      },
    });
    await upload(s, a);
    await upload(s, b); // finds x, which a sweep takes just then
    expect((await bytesOf(await s.readBlob(sha(b)))).equals(b)).toBe(true);
    expect((await bytesOf(await s.readBlob(sha(a)))).equals(a)).toBe(true);
  });

  it('a reused piece removed after its touch fails the store and withdraws the manifest: no manifest names a missing piece', async () => {
    let armed = false;
    const s: ArtifactStore = hooked({
      // Just before b's manifest is written, x (found and touched) is removed by a sweep that had
      // checked its age before the touch.
      putStream: async (k) => {
        if (armed && k.startsWith('manifests/')) await s.objects.remove([pieceKey(shared)]);
      },
    });
    await upload(s, a);
    // `a` deleted: its manifest gone, its pieces unreferenced and (for the sweep) old.
    await s.objects.remove([`manifests/${sha(a).slice(0, 2)}/${sha(a)}`]);
    armed = true;
    await expect(upload(s, b)).rejects.toThrow(/removed while it was being stored/);
    expect(await s.hasBlob(sha(b))).toBe(false);
    expect(await s.listManifests()).toEqual(new Map());
  });

  it('a file the store has whole puts no piece when it is stored again', async () => {
    const puts: string[] = [];
    const s = hooked({ putFile: (k) => void puts.push(k) });
    const whole = new ArtifactStore(s.root, undefined, { wholeFiles: true });
    const dir = tempDir('bonsai-race-src-');
    writeFileSync(join(dir, 'model.safetensors'), a);
    await whole.importFolder(dir);
    puts.length = 0;
    expect((await s.importFolder(dir)).created).toEqual([]);
    expect(await upload(s, a)).toBe(false);
    expect(puts.filter((k) => k.startsWith('pieces/'))).toEqual([]);
    expect(await s.listPieces()).toEqual([]);
  });

  it('a header past PIECES_HEADER_LIMIT (many tiny tensors) is stored whole, uploaded or imported', async () => {
    const tensors: Array<[string, Buffer]> = [];
    for (
      let i = 0;
      encodeHeader(tensors.map(([n, t]) => ({ name: n, dtype: 'U8', shape: [t.length] }))).length < PIECES_HEADER_LIMIT + 64;
      i += 1000
    )
      for (let j = i; j < i + 1000; j++) tensors.push([`t${j}`, Buffer.from([j & 255, (j >> 8) & 255])]);
    const many = safetensors(tensors);
    const s = hooked({});
    expect(await upload(s, many)).toBe(true);
    const dir = tempDir('bonsai-race-many-');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.safetensors'), many);
    await s.importFolder(dir);
    expect(await s.listManifests()).toEqual(new Map());
    expect(await s.listPieces()).toEqual([]);
    expect((await s.readBlobBytes(sha(many))).equals(many)).toBe(true);
  });
});
