// The store's objects as files under a folder (the default, and a shared mount when several
// machines use it): `<root>/<key>`, read-only. Every write lands in `<root>/tmp/` first and is
// renamed into place, so a reader never sees half an object, and a rename onto an existing key is
// harmless because its content is the same.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, ObjectInfo, ObjectStore } from './objects.js';

/**
 * 1 MiB reads instead of the default 64 KiB take a 1 GB download from ~0.66 to ~1 GB/s on
 * loopback (bench:hub); the memory held per read is still one chunk.
 */
const READ_CHUNK = 1 << 20;

export class FolderObjects implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  localPath(key: string): string {
    return this.path(key);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    return stat(this.path(key)).then(
      (s) => ({ size: s.size, modified: s.mtime }),
      () => null,
    );
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    // Opened before the stream is made, so a missing object is this call's error, not the stream's.
    const handle = await open(this.path(key), 'r');
    return handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: READ_CHUNK });
  }

  async putFile(key: string, file: string): Promise<void> {
    const target = this.path(key);
    await syncFile(file);
    await mkdir(dirname(target), { recursive: true });
    // Read-only: objects are shared by hard links, so a write through one folder would change them all.
    await chmod(file, 0o444);
    await rename(file, target);
  }

  async putStream(key: string, body: Readable | Buffer, signal?: AbortSignal): Promise<void> {
    const staged = join(this.root, 'tmp', `put-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dirname(staged), { recursive: true });
    try {
      if (Buffer.isBuffer(body)) await writeFile(staged, body, { signal });
      else await pipeline(body, createWriteStream(staged), { signal });
      await this.putFile(key, staged);
    } finally {
      await rm(staged, { force: true });
    }
  }

  async copyIn(key: string, file: string, signal?: AbortSignal): Promise<void> {
    // The ONNX cache of a folder store is inside it: the file already is the object.
    if (resolve(file) === this.path(key)) return;
    const staged = join(this.root, 'tmp', `copy-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dirname(staged), { recursive: true });
    try {
      signal?.throwIfAborted();
      await copyFile(file, staged);
      await this.putFile(key, staged);
    } finally {
      await rm(staged, { force: true });
    }
  }

  async materialize(key: string, target: string): Promise<void> {
    await link(this.path(key), target);
  }

  async remove(keys: readonly string[]): Promise<void> {
    // A missing object is not an error; any other failure is (a removal that silently failed would
    // leave its caller believing the space was freed, or a sweep believing a piece was gone).
    for (const key of keys)
      await unlink(this.path(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = this.path(prefix.replace(/\/$/, ''));
    // No folder is no objects; any other failure must not read as "none": a sweep would then take
    // every piece for unreferenced.
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const e of entries) {
      if (!e.isFile()) continue;
      const rel = join(e.parentPath, e.name).slice(this.root.length + 1);
      yield rel.split(/[\\/]/).join('/');
    }
  }

  async touch(key: string): Promise<boolean> {
    const now = new Date();
    return utimes(this.path(key), now, now).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        return false;
      },
    );
  }
}

/**
 * Flushes a file to disk before it becomes an object (only new ones: a duplicate is dropped): a
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
