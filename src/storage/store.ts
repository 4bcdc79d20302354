// The content-addressed artifact store: every file of every checkpoint is kept once, under its
// sha256 (`blobs/ab/abcdef…`), so the backbone shared by thousands of trimmed or sparsified
// derivatives is stored once (Bourdois, "Introduction to trimming": 5,526 naive copies take ~10 TB). A model's folder is
// a set of (path, sha256) rows; `checkout` rebuilds it as hard links, which costs no copy.
// The root may be a shared mount: every write lands in `tmp/` first and is renamed into place,
// and a rename onto an existing blob is harmless because its content is the same.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, chmod, link, mkdir, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BonsaiError } from '../errors.js';
import { openRegular } from '../formats/regularFile.js';

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
  readonly root: string;

  /** Exported ONNX graphs, by checkpoint key (src/onnx/cache.ts): derived data, rebuilt when missing. */
  get onnxCache(): string {
    return join(this.root, 'onnx-cache');
  }

  constructor(root: string) {
    this.root = root;
  }

  blobPath(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.root, 'blobs', sha256.slice(0, 2), sha256);
  }

  async hasBlob(sha256: string): Promise<boolean> {
    return exists(this.blobPath(sha256));
  }

  /** A fresh folder under the store's own tmp/, on the same file system as the blobs. */
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
          first = await hashStream(handle.createReadStream({ start: 0, autoClose: false }), signal);
          if (!(await this.hasBlob(first.sha256))) {
            tmp ??= await this.tempDir('import');
            const staged = join(tmp, String(i));
            const copy = createHash('sha256');
            await pipeline(handle.createReadStream({ start: 0, autoClose: false }), hashing(copy), createWriteStream(staged), { signal });
            const sha256 = copy.digest('hex');
            if (sha256 !== first.sha256) throw new Error(`${source} changed while it was being imported`);
            if (await this.place(staged, sha256)) created.push(sha256);
          }
        } finally {
          await handle.close();
        }
        stored.push({ path: toPosix(name), sha256: first.sha256, size: first.size });
      }
      return { files: stored, created };
    } catch (err) {
      await this.removeBlobs(created);
      throw asStorageError(err, this.root);
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Moves the files of a folder this process wrote (a pruning result under `tempDir`) into the
   * store without copying: hashed, then renamed.
   */
  async adoptFolder(dir: string, signal?: AbortSignal): Promise<IngestResult> {
    const names = await listFiles(dir);
    const stored: StoredFile[] = [];
    const created: string[] = [];
    try {
      for (const name of names) {
        signal?.throwIfAborted();
        const file = join(dir, name);
        const { sha256, size } = await hashFile(file, signal);
        if (await this.place(file, sha256)) created.push(sha256);
        stored.push({ path: toPosix(name), sha256, size });
      }
      return { files: stored, created };
    } catch (err) {
      await this.removeBlobs(created);
      throw asStorageError(err, this.root);
    }
  }

  /**
   * Receives one object whose sha256 and size the sender announced (a Git LFS upload): the bytes
   * are written to tmp/ while they are hashed and counted, refused as soon as they pass `size`,
   * and become a blob only when both match. An interrupted or wrong upload leaves nothing behind.
   * True when the blob is new.
   */
  async receive(body: AsyncIterable<unknown>, expected: { sha256: string; size: number }, signal?: AbortSignal): Promise<boolean> {
    const target = this.blobPath(expected.sha256);
    const tmp = await this.tempDir('upload');
    try {
      const staged = join(tmp, 'object');
      const hash = createHash('sha256');
      let size = 0;
      const counting = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > expected.size) return done(new ObjectMismatchError(`more than the ${expected.size} bytes announced`));
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(body, counting, createWriteStream(staged), { signal });
      if (size !== expected.size) throw new ObjectMismatchError(`${size} bytes arrived, ${expected.size} were announced`);
      const sha256 = hash.digest('hex');
      if (sha256 !== expected.sha256) throw new ObjectMismatchError(`the content's sha256 is ${sha256}, not ${expected.sha256}`);
      if (await exists(target)) return false;
      return await this.place(staged, sha256);
    } catch (err) {
      throw asStorageError(err, this.root);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** A blob's size in bytes, or null when the store does not have it. */
  async blobSize(sha256: string): Promise<number | null> {
    return stat(this.blobPath(sha256)).then(
      (s) => s.size,
      () => null,
    );
  }

  /**
   * Makes a file this process wrote under tmp/ and hashed itself (an upload commit's inline file)
   * the blob `sha256`, by renaming it; true when the blob is new.
   */
  async adopt(file: string, sha256: string): Promise<boolean> {
    try {
      return await this.place(file, sha256);
    } catch (err) {
      throw asStorageError(err, this.root);
    }
  }

  /** Restarts a blob's age (cleanup removes unreferenced blobs an hour old): it is about to be used. */
  async touchBlob(sha256: string): Promise<void> {
    const now = new Date();
    await utimes(this.blobPath(sha256), now, now).catch(() => {});
  }

  /** Removes a folder made by tempDir. */
  async removeTemp(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Rebuilds a checkpoint folder as hard links to the blobs (read-only files, no copy). */
  async checkout(files: readonly Pick<StoredFile, 'path' | 'sha256'>[], dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const f of files) {
      const target = join(dir, ...f.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await link(this.blobPath(f.sha256), target);
    }
  }

  async removeBlobs(hashes: Iterable<string>): Promise<void> {
    for (const sha of hashes) await unlink(this.blobPath(sha)).catch(() => {});
  }

  /** Every blob on disk (for garbage collection against the database's references). */
  async listBlobs(): Promise<string[]> {
    const base = join(this.root, 'blobs');
    if (!(await exists(base))) return [];
    const out: string[] = [];
    for (const prefix of await readdir(base)) {
      for (const name of await readdir(join(base, prefix))) if (SHA256.test(name)) out.push(name);
    }
    return out;
  }

  /** Removes tmp/ folders older than `olderThanMs` (left by a killed process). */
  async cleanTemp(olderThanMs: number): Promise<string[]> {
    const base = join(this.root, 'tmp');
    if (!(await exists(base))) return [];
    const removed: string[] = [];
    for (const name of await readdir(base)) {
      const path = join(base, name);
      const { mtimeMs } = await stat(path);
      if (Date.now() - mtimeMs > olderThanMs) {
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      }
    }
    return removed;
  }

  /** Renames a finished file onto its blob path; true when the blob is new. */
  private async place(file: string, sha256: string): Promise<boolean> {
    const target = this.blobPath(sha256);
    if (await exists(target)) {
      await unlink(file);
      return false;
    }
    await syncFile(file);
    await mkdir(dirname(target), { recursive: true });
    // Read-only: blobs are shared by hard links, so a write through one folder would change them all.
    await chmod(file, 0o444);
    await rename(file, target);
    return true;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
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

/**
 * Flushes a file to disk before it becomes a blob (only new blobs: a duplicate is dropped): a
 * model row commits right after, and a power loss must not leave it pointing at a file the kernel
 * never wrote. Durability is the store's job, so the engine writes checkpoints like
 * `save_pretrained` does, without a sync of its own.
 */
async function syncFile(path: string): Promise<void> {
  // fsync through a read-only descriptor is enough on Linux and works on read-only files.
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
