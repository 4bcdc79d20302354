// The content-addressed artifact store: every file of every checkpoint is kept once, under its
// sha256 (`blobs/ab/abcdef…`), so the backbone shared by thousands of trimmed or sparsified
// derivatives is stored once (Bourdois, "Introduction to trimming": 5,526 naive copies take ~10 TB). A model's folder is
// a set of (path, sha256) rows; `checkout` rebuilds it (hard links for a folder store, no copy).
// The objects live behind one interface (objects.ts): a folder, or an S3-compatible bucket so that
// workers on other machines need no shared mount. Temporary files, a job's checkout and the ONNX
// cache stay in a local folder (`root`: the store's own folder, or a local one beside a bucket).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, type FileHandle, link, mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BonsaiError } from '../errors.js';
import { JoinedFile, type JoinedPart } from '../formats/joinedFile.js';
import { addJoinedView, dropJoinedViews } from '../formats/joinedViews.js';
import { readAhead } from '../formats/positionalRead.js';
import { openRegular } from '../formats/regularFile.js';
import { FolderObjects } from './folderObjects.js';
import { type Pieces, safetensorsPieces, safetensorsPiecesOf } from './layout.js';
import { decodeManifest, encodeManifest, type Manifest } from './manifest.js';
import type { ByteRange, ObjectInfo, ObjectStore } from './objects.js';
import { piecesWriters, type StagedFile } from './piecesWriter.js';
import { receivePieces } from './receivePieces.js';
import { writePieces } from './writePieces.js';

/** The artifact store's disk is full: a server-side condition the client cannot fix by retrying. */
export class StorageFullError extends BonsaiError {
  /** For the server log; not sent to clients. */
  readonly store: string;

  constructor(root: string, options?: ErrorOptions) {
    super('STORAGE_FULL', 'the artifact store is full; free space on its disk or move BONSAI_HOME, then try again', {}, options);
    this.store = root;
  }
}

/** An uploaded object is not what its sender announced (size or sha256). */
export class ObjectMismatchError extends BonsaiError {
  constructor(problem: string) {
    super('BAD_USER_INPUT', `the uploaded object does not match: ${problem}`, { field: 'body' });
  }
}

export interface StoredFile {
  /** Path inside the checkpoint folder, with forward slashes. */
  path: string;
  sha256: string;
  size: number;
}

export interface IngestResult {
  files: StoredFile[];
  /** Blobs this call added (not there before): what a failed registration must remove again. */
  created: string[];
}

const SHA256 = /^[0-9a-f]{64}$/;

export interface ImportOptions {
  /** The import roots every file's real path must lie under (src/formats/regularFile.ts). */
  roots?: readonly string[];
  signal?: AbortSignal;
}

export class ArtifactStore {
  /** The local folder: the store itself for a folder store; tmp/ and onnx-cache/ beside a bucket. */
  readonly root: string;
  readonly objects: ObjectStore;

  /** Exported ONNX graphs, by checkpoint key (src/onnx/cache.ts): derived data, rebuilt when missing. */
  get onnxCache(): string {
    return join(this.root, ONNX_CACHE);
  }

  /**
   * An unreferenced piece younger than this is kept by removals and sweeps: a file being stored
   * right now may have found it (and touched it) and not yet written the manifest that names it.
   */
  readonly pieceGraceMs: number;
  /** Manifests read by this process, by file sha256 (they never change). */
  private readonly manifests = new Map<string, Manifest>();

  /** A folder store at `root`, or `objects` (a bucket) with `root` for local files. */
  /** Every new file stored whole, as before tensor pieces (bench:store's baseline). */
  readonly wholeFiles: boolean;

  constructor(root: string, objects?: ObjectStore, options: { pieceGraceMs?: number; wholeFiles?: boolean } = {}) {
    this.root = root;
    this.objects = objects ?? new FolderObjects(root);
    this.pieceGraceMs = options.pieceGraceMs ?? PIECE_GRACE_MS;
    this.wholeFiles = options.wholeFiles ?? false;
  }

  /** Where the objects are (a folder, `s3://bucket/prefix`): for logs. */
  get location(): string {
    return this.objects.location;
  }

  /** The blob's key among the store's objects. */
  blobKey(sha256: string): string {
    return blobKey(sha256);
  }

  /** A blob's file on this machine's disk: folder stores only (tests look at the layout). */
  blobPath(sha256: string): string {
    const path = this.objects.localPath(blobKey(sha256));
    if (path === null) throw new Error(`the store at ${this.location} keeps no blob on this machine's disk`);
    return path;
  }

  async hasBlob(sha256: string): Promise<boolean> {
    return (await this.stored(sha256)) !== null;
  }

  /** How a file is stored: whole (a blob), in pieces (its manifest), or not at all. */
  private async stored(sha256: string): Promise<{ whole: ObjectInfo } | { manifest: Manifest; info: ObjectInfo } | null> {
    const whole = await this.objects.head(blobKey(sha256));
    if (whole) return { whole };
    const info = await this.objects.head(manifestKey(sha256));
    if (!info) return null;
    return { manifest: await this.manifest(sha256), info };
  }

  private async manifest(sha256: string): Promise<Manifest> {
    let m = this.manifests.get(sha256);
    if (!m) {
      const key = manifestKey(sha256);
      const chunks: Buffer[] = [];
      for await (const c of await this.objects.read(key)) chunks.push(c as Buffer);
      m = decodeManifest(Buffer.concat(chunks), key);
      if (this.manifests.size > 10_000) this.manifests.clear();
      this.manifests.set(sha256, m);
    }
    return m;
  }

  /**
   * The sha256 of each piece of a file stored in pieces, in file order (its manifest), or null for
   * a file stored whole or not at all: what tells a tensor kept byte for byte without reading it.
   */
  async pieceHashes(sha256: string): Promise<string[] | null> {
    const s = await this.stored(sha256);
    return s === null || 'whole' in s ? null : s.manifest.pieces.map((p) => p.sha256);
  }

  /** The blob's file on this machine's disk when it is stored whole in a folder (sent by sendfile), else null. */
  async localBlobPath(sha256: string): Promise<string | null> {
    const path = this.objects.localPath(blobKey(sha256));
    if (path === null) return null;
    return (await this.objects.head(blobKey(sha256))) ? path : null;
  }

  /** A fresh folder under the store's local tmp/ (for a folder store, on the same file system as the blobs). */
  async tempDir(label: string): Promise<string> {
    const dir = join(this.root, 'tmp', `${label}-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * Stores the regular files of `dir` (`files`, relative paths, limits the import to those). Each
   * file is hashed while it is read; a file whose blob exists already is not copied at all (a
   * second registration of the same weights writes nothing), and a new one is copied while it is
   * hashed again, and refused if its content changed between the two reads. A full disk is a
   * StorageFullError, with this call's partial copies and blobs removed. Each file is opened once,
   * through the confined opener, and both reads are of that descriptor: a file cannot be swapped
   * for a link out of the roots between the check and the copy.
   */
  async importFolder(dir: string, files?: readonly string[], options: ImportOptions = {}): Promise<IngestResult> {
    const { roots, signal } = options;
    const names = files ?? (await listFiles(dir));
    const stored: StoredFile[] = [];
    const created: string[] = [];
    let tmp: string | undefined;
    try {
      for (const [i, name] of names.entries()) {
        signal?.throwIfAborted();
        const source = join(dir, name);
        const { handle } = await openRegular(source, { roots });
        let first: { sha256: string; size: number };
        try {
          const ranges = this.wholeFiles ? null : await safetensorsPiecesOf(handle);
          if (ranges) {
            // In pieces straight from the descriptor, in one read: no copy of the whole file is made.
            const r = await this.storeInPieces(handle, ranges, source, signal);
            if (r.created) created.push(r.sha256);
            stored.push({ path: toPosix(name), sha256: r.sha256, size: r.size });
            continue;
          }
          first = await hashStream(handle.createReadStream({ start: 0, autoClose: false }), signal);
          if (!(await this.hasBlob(first.sha256))) {
            tmp ??= await this.tempDir('import');
            const staged = join(tmp, String(i));
            const copy = createHash('sha256');
            await pipeline(handle.createReadStream({ start: 0, autoClose: false }), hashing(copy), createWriteStream(staged), { signal });
            const sha256 = copy.digest('hex');
            if (sha256 !== first.sha256) throw new Error(`${source} changed while it was being imported`);
            if (await this.place(staged, sha256, signal)) created.push(sha256);
          }
        } finally {
          await handle.close();
        }
        stored.push({ path: toPosix(name), sha256: first.sha256, size: first.size });
      }
      return { files: stored, created };
    } catch (err) {
      await this.removeBlobs(created);
      throw asStorageError(err, this.location);
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Writers of safetensors files straight as this store's pieces (piecesWriter.ts), staged under
   * `staging` (a folder of the caller's under tempDir), for the prune engine; null for a store
   * that keeps files whole. adoptFolder then stores what they wrote by renames.
   */
  piecesWriters(staging: string): ReturnType<typeof piecesWriters> | null {
    return this.wholeFiles ? null : piecesWriters(this.objects, pieceKey, staging);
  }

  /**
   * Moves the files of a folder this process wrote (a pruning result under `tempDir`) into the
   * store: hashed, then renamed (a folder store) or uploaded. `staged`: files written as pieces
   * already (piecesWriters), which are not in `dir`: their pieces are put and their manifests written.
   */
  async adoptFolder(dir: string, signal?: AbortSignal, staged?: ReadonlyMap<string, StagedFile>): Promise<IngestResult> {
    const names = [...(await listFiles(dir)), ...(staged?.keys() ?? [])].sort();
    const stored: StoredFile[] = [];
    const created: string[] = [];
    try {
      for (const name of names) {
        signal?.throwIfAborted();
        const pieced = staged?.get(name);
        if (pieced) {
          const r = await this.storeStaged(pieced, signal);
          if (r.created) created.push(r.sha256);
          stored.push({ path: name, sha256: r.sha256, size: r.size });
          continue;
        }
        const file = join(dir, name);
        const ranges = this.wholeFiles ? null : await safetensorsPieces(file);
        if (ranges) {
          // One read hashes the file and each of its pieces and writes the pieces (writePieces.ts).
          const r = await this.storeFileInPieces(file, ranges, signal);
          if (r.created) created.push(r.sha256);
          stored.push({ path: toPosix(name), sha256: r.sha256, size: r.size });
          continue;
        }
        const { sha256, size } = await hashFile(file, signal);
        if (await this.place(file, sha256, signal)) created.push(sha256);
        stored.push({ path: toPosix(name), sha256, size });
      }
      return { files: stored, created };
    } catch (err) {
      await this.removeBlobs(created);
      throw asStorageError(err, this.location);
    }
  }

  /**
   * Receives one object whose sha256 and size the sender announced (a Git LFS upload): the bytes
   * are written to tmp/ while they are hashed and counted, refused as soon as they pass `size`,
   * and become a blob only when both match. An interrupted or wrong upload leaves nothing behind.
   * True when the blob is new.
   */
  async receive(body: AsyncIterable<unknown>, expected: { sha256: string; size: number }, signal?: AbortSignal): Promise<boolean> {
    blobKey(expected.sha256);
    const tmp = await this.tempDir('upload');
    try {
      const staged = join(tmp, 'object');
      // A safetensors upload goes to its pieces as it arrives (receivePieces.ts): no second read.
      const r = await receivePieces(signal ? abortable(body, signal) : body, {
        objects: this.objects,
        keyOf: pieceKey,
        staging: tmp,
        whole: staged,
        maxSize: expected.size,
        pieces: !this.wholeFiles,
        tooLarge: () => new ObjectMismatchError(`more than the ${expected.size} bytes announced`),
      });
      if (r.size !== expected.size) throw new ObjectMismatchError(`${r.size} bytes arrived, ${expected.size} were announced`);
      if (r.sha256 !== expected.sha256) throw new ObjectMismatchError(`the content's sha256 is ${r.sha256}, not ${expected.sha256}`);
      if (!r.stager) return await this.place(staged, r.sha256, signal);
      return (await this.storeStaged({ name: 'upload', sha256: r.sha256, size: r.size, stager: r.stager }, signal)).created;
    } catch (err) {
      throw asStorageError(err, this.location);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** A blob's size in bytes, or null when the store does not have it. */
  async blobSize(sha256: string): Promise<number | null> {
    const s = await this.stored(sha256);
    return s === null ? null : 'whole' in s ? s.whole.size : s.manifest.size;
  }

  /** When a blob was written or last touched, or null when the store does not have it. */
  async blobModified(sha256: string): Promise<Date | null> {
    const s = await this.stored(sha256);
    return s === null ? null : 'whole' in s ? s.whole.modified : s.info.modified;
  }

  /** A blob's bytes as a stream, or only those of `range` (the bytes before it are not read). */
  async readBlob(sha256: string, range?: ByteRange): Promise<Readable> {
    const s = await this.stored(sha256);
    if (s === null) throw Object.assign(new Error(`the store has no file ${sha256}`), { code: 'ENOENT' });
    if ('whole' in s) return this.objects.read(blobKey(sha256), range);
    return Readable.from(await this.readPieces(s.manifest, range ?? { start: 0, end: s.manifest.size - 1 }), { objectMode: false });
  }

  /** The pieces that overlap `range`, each read from its first byte in the range: none before it is read. */
  private async readPieces(m: Manifest, range: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    const parts: Array<{ sha256: string; size: number; range: ByteRange }> = [];
    let first = 0;
    let offset = 0;
    for (const p of m.pieces) {
      const begin = offset;
      offset += p.size;
      if (offset <= range.start) continue;
      if (begin > range.end) break;
      if (parts.length === 0) first = begin;
      parts.push({
        sha256: p.sha256,
        size: p.size,
        range: { start: Math.max(range.start, begin) - begin, end: Math.min(range.end, offset - 1) - begin },
      });
    }
    const local = parts.length ? this.localPieces(parts) : null;
    if (!local) return this.streamPieces(parts.map((p) => ({ key: pieceKey(p.sha256), range: p.range })));
    // On this machine's disk, the pieces are read as one file, four 1 MiB reads in flight across
    // piece boundaries: a stream per piece waited at each of the base's 310 ends (0.75–0.94× a
    // whole blob in bench:store, 2026-12-06). A missing piece is this call's error, as a stream's open is.
    await stat(local[0]!.path);
    const joined = new JoinedFile(local);
    // The joined file begins at the first piece's first byte.
    return closing(
      readAhead(joined, {
        start: range.start - first,
        end: Math.min(range.end + 1, m.size) - first,
        chunkBytes: 1 << 20,
        buffers: 'fresh',
        onShort: (at) => new Error(`a piece of a stored file ends early (byte ${at} of the pieces read)`),
      }),
      joined,
    );
  }

  /** The pieces' files on this machine's disk (a folder store), or null where they are not. */
  private localPieces(pieces: ReadonlyArray<{ sha256: string; size: number }>): JoinedPart[] | null {
    const parts: JoinedPart[] = [];
    for (const p of pieces) {
      const path = this.objects.localPath(pieceKey(p.sha256));
      if (path === null) return null;
      parts.push({ path, size: p.size });
    }
    return parts;
  }

  /** The pieces as one stream from the object store, a piece's stream at a time. */
  private async *streamPieces(parts: ReadonlyArray<{ key: string; range: ByteRange }>): AsyncGenerator<Buffer> {
    // The next piece is opened while this one is read, so no read waits on an open (a piece's
    // stream starts reading as soon as it exists: at most two pieces' first chunks are held).
    let next = parts.length ? this.objects.read(parts[0]!.key, parts[0]!.range) : undefined;
    try {
      for (let i = 0; i < parts.length; i++) {
        const current = await next!;
        next = i + 1 < parts.length ? this.objects.read(parts[i + 1]!.key, parts[i + 1]!.range) : undefined;
        // An opening that fails while this piece is read is thrown when its turn comes.
        next?.catch(() => {});
        for await (const c of current) yield c as Buffer;
      }
    } finally {
      // A reader that stops early (a client gone) must not leave the opened next piece open.
      if (next)
        void next.then(
          (s) => s.destroy(),
          () => {},
        );
    }
  }

  /**
   * A small blob whole (a config, a plain file's git id). With `maxBytes`, at most that many bytes
   * and one more are read, so a caller can refuse a file that is too large without reading it all.
   */
  async readBlobBytes(sha256: string, maxBytes?: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const range = maxBytes === undefined ? undefined : { start: 0, end: maxBytes };
    for await (const chunk of await this.readBlob(sha256, range)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Makes a file this process wrote under tmp/ and hashed itself (an upload commit's inline file)
   * the blob `sha256` (renamed into a folder store); true when the blob is new.
   */
  async adopt(file: string, sha256: string): Promise<boolean> {
    try {
      return await this.place(file, sha256);
    } catch (err) {
      throw asStorageError(err, this.location);
    }
  }

  /** Restarts a blob's age (cleanup removes unreferenced blobs an hour old): it is about to be used. */
  async touchBlob(sha256: string): Promise<void> {
    await this.objects.touch(blobKey(sha256));
  }

  /** Removes a folder made by tempDir. */
  async removeTemp(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * Rebuilds a checkpoint folder (read-only hard links to a folder store's blobs; downloads
   * otherwise). With `inPlace` (a job or the CLI reading the folder in this process), a file the
   * folder store keeps in pieces is not written out: its pieces are linked into `<dir>.pieces/`
   * and SafetensorsFile reads them as one file (src/formats/joinedViews.ts), while the folder holds
   * an empty read-only placeholder of its name. Writing out the 1.2 GB of a 0.6B parent took
   * 1.5–2.9 s of a 5–7 s prune job (bench:store). `release` forgets the views.
   */
  async checkout(
    files: readonly Pick<StoredFile, 'path' | 'sha256'>[],
    dir: string,
    signal?: AbortSignal,
    options: { inPlace?: boolean } = {},
  ): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const f of files) {
      const target = join(dir, ...f.path.split('/'));
      if (!(options.inPlace && (await this.checkoutInPlace(f.sha256, target, `${dir}.pieces`))))
        await this.checkoutFile(f.sha256, target, signal);
    }
  }

  /** Forgets the in-place views of a checkout (its folder is about to be removed). */
  release(dir: string): void {
    dropJoinedViews(dir);
  }

  /**
   * A safetensors file in pieces on this machine's disk as a view over links to them; false for
   * any other. Only by its name: any file whose bytes parse as safetensors is kept in pieces, and a
   * `tokenizer.model` or a chat template that happened to would be read (copied into a child) as
   * its empty placeholder.
   */
  private async checkoutInPlace(sha256: string, target: string, linkDir: string): Promise<boolean> {
    if (!target.endsWith('.safetensors')) return false;
    const s = await this.stored(sha256);
    if (s === null || 'whole' in s) return false;
    const local = this.localPieces(s.manifest.pieces);
    if (!local) return false;
    await mkdir(linkDir, { recursive: true });
    const parts: JoinedPart[] = [];
    for (const [i, p] of s.manifest.pieces.entries()) {
      // Linked, as a whole blob is: a deletion of the model while the job reads it frees nothing under it.
      const path = join(linkDir, p.sha256);
      await link(local[i]!.path, path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      parts.push({ path, size: p.size });
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, '', { flag: 'wx', mode: 0o444 });
    await addJoinedView(target, parts);
    return true;
  }

  /** One blob as the new file `target` (its folder is made). */
  async checkoutFile(sha256: string, target: string, signal?: AbortSignal): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    if (await this.objects.head(blobKey(sha256))) await this.objects.materialize(blobKey(sha256), target, signal);
    // A file in pieces is written out whole (read-only, as a linked blob would be).
    else await pipeline(await this.readBlob(sha256), createWriteStream(target, { flags: 'wx', mode: 0o444 }), { signal });
  }

  /** A blob as an independent, writable copy (an exported folder is for others: no link into the store). */
  async copyBlob(sha256: string, target: string): Promise<void> {
    const path = await this.localBlobPath(sha256);
    await mkdir(dirname(target), { recursive: true });
    if (path !== null) await copyFile(path, target);
    else await pipeline(await this.readBlob(sha256), createWriteStream(target));
  }

  /**
   * Removes files: a whole blob, or a manifest and then the pieces it named that no other
   * manifest names (and that are older than pieceGraceMs; the sweep takes the rest later).
   */
  async removeBlobs(hashes: Iterable<string>): Promise<void> {
    const list = [...hashes];
    const pieces = new Set<string>();
    for (const sha of list) {
      if (!(await this.objects.head(manifestKey(sha)))) continue;
      const m = await this.manifest(sha).catch(() => null);
      for (const p of m?.pieces ?? []) pieces.add(p.sha256);
    }
    // Manifests first: a crash after this line leaves unreferenced pieces, never a manifest without its pieces.
    await this.objects.remove(list.flatMap((sha) => [blobKey(sha), manifestKey(sha)]));
    for (const sha of list) this.manifests.delete(sha);
    // If the manifests cannot all be read now this fails, and the pieces wait for the sweep: never removed on a guess.
    if (pieces.size) await this.removeUnreferencedPieces(pieces);
  }

  /** Every file in the store, whole or in pieces (for garbage collection against the database's references). */
  async listBlobs(): Promise<string[]> {
    const out: string[] = [];
    for (const [prefix, keyOf] of [
      [BLOBS, blobKey],
      [MANIFESTS, manifestKey],
    ] as const) {
      for await (const key of this.objects.list(`${prefix}/`)) {
        const name = key.slice(key.lastIndexOf('/') + 1);
        if (SHA256.test(name) && key === keyOf(name)) out.push(name);
      }
    }
    return out;
  }

  /**
   * The objects a stored file takes, with their sizes: its blob, or the pieces its manifest names
   * (the manifest itself, a few hundred bytes, not counted). `size` is the file's, which the
   * registry knows. Null when the store does not have the file.
   */
  async composition(sha256: string, size: number): Promise<Array<{ key: string; size: number }> | null> {
    const s = await this.stored(sha256);
    if (s === null) return null;
    if ('whole' in s) return [{ key: blobKey(sha256), size }];
    return s.manifest.pieces.map((p) => ({ key: pieceKey(p.sha256), size: p.size }));
  }

  /** Every piece in the store. */
  async listPieces(): Promise<string[]> {
    const out: string[] = [];
    for await (const key of this.objects.list(`${PIECES}/`)) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      if (SHA256.test(name) && key === pieceKey(name)) out.push(name);
    }
    return out;
  }

  /**
   * What each stored file in pieces is made of, by file sha256. A manifest that cannot be read
   * fails the listing: removals decide by it what nothing names, and a manifest skipped (a
   * passing S3 503, EMFILE) would hand its file's pieces to them.
   */
  async listManifests(): Promise<Map<string, Manifest>> {
    const out = new Map<string, Manifest>();
    for await (const key of this.objects.list(`${MANIFESTS}/`)) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      if (!SHA256.test(name) || key !== manifestKey(name)) continue;
      out.set(name, await this.manifest(name));
    }
    return out;
  }

  /** Removes the pieces no manifest names (older than pieceGraceMs): what a killed store left. */
  async sweepPieces(): Promise<number> {
    return this.removeUnreferencedPieces(new Set(await this.listPieces()));
  }

  /**
   * Removes those of `candidates` that no manifest names and that are older than pieceGraceMs,
   * each checked just before it is removed: a store that found a piece touches it (restarting its
   * age) before its manifest names it.
   */
  private async removeUnreferencedPieces(candidates: Set<string>): Promise<number> {
    for (const m of (await this.listManifests()).values()) for (const p of m.pieces) candidates.delete(p.sha256);
    let removed = 0;
    for (const sha of candidates) {
      const info = await this.objects.head(pieceKey(sha));
      if (!info || Date.now() - info.modified.getTime() < this.pieceGraceMs) continue;
      await this.objects.remove([pieceKey(sha)]);
      removed++;
    }
    return removed;
  }

  /**
   * Publishes a file of the local ONNX cache (`onnxCache/<dir>/<file>`) to the store, so that a
   * server on another machine can serve what a worker exported. A folder store's cache is inside it.
   */
  async publishExport(file: string): Promise<void> {
    const rel = relative(this.onnxCache, file);
    if (rel.startsWith('..')) throw new Error(`${file} is not in the ONNX cache`);
    await this.objects.copyIn(`${ONNX_CACHE}/${toPosix(rel)}`, file);
  }

  /** The store's key of a file of an ONNX export (`<dir>/<file>` inside the cache). */
  exportKey(path: string): string {
    return `${ONNX_CACHE}/${path}`;
  }

  /** Removes tmp/ folders older than `olderThanMs` (left by a killed process). */
  async cleanTemp(olderThanMs: number): Promise<string[]> {
    const base = join(this.root, 'tmp');
    const names = await readdir(base).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of names) {
      const path = join(base, name);
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > olderThanMs) {
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      }
    }
    return removed;
  }

  /**
   * Moves a finished local file in as `sha256`; true when it is new. A safetensors file is stored
   * in pieces (layout.ts, writePieces.ts), the manifest last.
   */
  private async place(file: string, sha256: string, signal?: AbortSignal): Promise<boolean> {
    if (await this.hasBlob(sha256)) {
      await rm(file, { force: true });
      return false;
    }
    const ranges = this.wholeFiles ? null : await safetensorsPieces(file);
    if (!ranges) {
      await this.objects.putFile(blobKey(sha256), file, signal);
      return true;
    }
    const r = await this.storeFileInPieces(file, ranges, signal);
    if (r.sha256 !== sha256) throw new Error(`${file} changed while it was being stored`);
    return r.created;
  }

  /** storeInPieces of a file this process owns, which is gone afterwards. */
  private async storeFileInPieces(file: string, ranges: Pieces, signal?: AbortSignal): Promise<StoredInPieces> {
    const handle = await open(file, 'r');
    try {
      return await this.storeInPieces(handle, ranges, file, signal);
    } finally {
      await handle.close();
      await rm(file, { force: true });
    }
  }

  /**
   * Stores an open safetensors file in pieces in one read (writePieces.ts), then its manifest.
   * `created` is false when the file was stored already.
   */
  private async storeInPieces(handle: FileHandle, ranges: Pieces, path: string, signal?: AbortSignal): Promise<StoredInPieces> {
    const staging = await this.tempDir('pieces');
    try {
      const r = await writePieces(this.objects, handle, ranges, pieceKey, { staging, path, signal });
      return await this.storeStaged({ name: path, ...r }, signal);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Stores a file whose pieces are staged (writePieces, piecesWriters, receivePieces): unless the
   * store has the file already, its new pieces are put (renames on a folder store), then its
   * manifest, never before every piece it names is stored (crash safety). A failure leaves what it
   * put to removeUnreferencedPieces, which spares a piece another file has come to name or that is
   * within the grace period (another store may just have found it), and the sweep takes the rest.
   */
  private async storeStaged(file: StagedFile, signal?: AbortSignal): Promise<StoredInPieces> {
    const out = { sha256: file.sha256, size: file.size };
    // Stored already (whole, or in pieces by another run): nothing is put.
    if (await this.hasBlob(file.sha256)) return { ...out, created: false };
    const written: string[] = [];
    try {
      await file.stager.putStaged(written, signal);
      const manifest: Manifest = { size: file.size, pieces: file.stager.pieces };
      await this.objects.putStream(manifestKey(file.sha256), encodeManifest(manifest), signal);
      this.manifests.set(file.sha256, manifest);
      await this.checkReused(file.sha256, manifest, new Set(written));
      return { ...out, created: true };
    } catch (err) {
      await this.removeUnreferencedPieces(new Set(written)).catch(() => {});
      throw err;
    }
  }

  /**
   * The pieces a new manifest names that this call did not put (it found and touched them): a
   * removal that had checked a piece's age before the touch may have taken it since. If one is
   * missing the manifest is withdrawn and the store fails (the caller retries; a job does).
   */
  private async checkReused(sha256: string, m: Manifest, written: ReadonlySet<string>): Promise<void> {
    const missing: string[] = [];
    for (const p of new Set(m.pieces.map((x) => x.sha256))) if (!written.has(p) && !(await this.objects.head(pieceKey(p)))) missing.push(p);
    if (missing.length === 0) return;
    this.manifests.delete(sha256);
    await this.objects.remove([manifestKey(sha256)]);
    throw new Error(`${missing.length} piece(s) of ${sha256} were removed while it was being stored (first: ${missing[0]}); try again`);
  }
}

interface StoredInPieces {
  sha256: string;
  size: number;
  created: boolean;
}

const MANIFESTS = 'manifests';
const PIECES = 'pieces';
/** Longer than storing one file takes (seconds for a GB), short enough that deletions free space the same day. */
const PIECE_GRACE_MS = 10 * 60_000;

function manifestKey(sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return `${MANIFESTS}/${sha256.slice(0, 2)}/${sha256}`;
}

function pieceKey(sha256: string): string {
  return `${PIECES}/${sha256.slice(0, 2)}/${sha256}`;
}

const BLOBS = 'blobs';
const ONNX_CACHE = 'onnx-cache';

function blobKey(sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return `${BLOBS}/${sha256.slice(0, 2)}/${sha256}`;
}

/** The chunks of `read`, and `file` closed when they end or the reader stops. */
async function* closing(read: AsyncGenerator<Uint8Array>, file: JoinedFile): AsyncGenerator<Uint8Array> {
  try {
    yield* read;
  } finally {
    await file.close();
  }
}

/** `body`, stopping with the signal's reason once it is aborted (a client that went away). */
async function* abortable(body: AsyncIterable<unknown>, signal: AbortSignal): AsyncGenerator<unknown> {
  for await (const chunk of body) {
    signal.throwIfAborted();
    yield chunk;
  }
}

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

async function hashFile(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  return hashStream(createReadStream(path, { signal }), signal);
}

async function hashStream(stream: AsyncIterable<unknown>, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    signal?.throwIfAborted();
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** ENOSPC and EDQUOT become StorageFullError, the code clients branch on; anything else is unchanged. */
function asStorageError(err: unknown, root: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageFullError(root, { cause: err });
  return err;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
