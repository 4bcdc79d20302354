// Opening files a client named, safely. A FIFO, a character device or a socket named like a
// checkpoint file would block whoever reads it (open(2) on a FIFO waits for a writer, read(2) on
// /dev/zero never ends), so files are opened with O_NONBLOCK — which returns at once even for a
// FIFO — and refused unless fstat says they are regular, before a byte is read. Checking the
// descriptor, not the path, leaves no window for the file to be swapped between check and read.
// All of it is asynchronous: nothing here runs on the event loop's thread.
//
// This is the one opener of every file Bonsai reads on a user's behalf. Given the import roots, it
// also refuses a file whose real path is not under them, checked twice: before opening, by a walk
// that never looks outside the roots (src/formats/roots.ts), so a link out is FORBIDDEN whether
// or not its target exists and nothing outside is opened; and after, on the descriptor itself
// (/proc/self/fd/N on Linux), so a link swapped between the walk and open(2) is caught before a
// byte is read. (openat2's RESOLVE_BENEATH would do it in one call; Node does not expose it.)
import { constants } from 'node:fs';
import { type FileHandle, open, readlink, realpath } from 'node:fs/promises';
import { BonsaiError, ForbiddenError } from '../errors.js';
import { followInside, inside, realRootsOf } from './roots.js';

export class NotRegularFileError extends BonsaiError {
  constructor(path: string, what: string, field = 'path') {
    super('BAD_USER_INPUT', `${path}: ${what}`, { field, file: path, problem: what });
  }
}

function describe(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'missing';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'not readable by the server';
  if (err.code === 'EISDIR') return 'a folder, not a file';
  if (err.code === 'ELOOP') return 'a loop of symbolic links';
  return err.message;
}

/** A file that is, or leads, outside the import roots: the same answer whether or not it exists. */
export class OutsideRootsError extends ForbiddenError {
  constructor(path: string, field: string, lexically: boolean) {
    const how = lexically ? 'is outside the allowed roots' : 'leads outside the allowed roots through a symbolic link';
    super(`${field}: ${path} ${how}`, { field, file: path });
  }
}

export interface OpenOptions {
  /** The input field errors name (default `path`). */
  field?: string;
  /**
   * The import roots the file's real path must lie under. Omitted only for files Bonsai wrote
   * itself (the artifact store, a job's checkout) and for the CLI reading its user's own folders.
   */
  roots?: readonly string[];
}

/** The real path of an open descriptor: the kernel's own record on Linux, realpath elsewhere. */
async function descriptorPath(handle: FileHandle, path: string): Promise<string> {
  return readlink(`/proc/self/fd/${handle.fd}`).catch(() => realpath(path));
}

/** A read-only handle on a regular file, and its size; anything else is refused without blocking. */
export async function openRegular(path: string, options: OpenOptions = {}): Promise<{ handle: FileHandle; size: number }> {
  const { field = 'path', roots } = options;
  if (roots) {
    const walk = await followInside(path, roots);
    if (walk.kind === 'outside') throw new OutsideRootsError(path, field, walk.lexically);
  }
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // ENXIO: a FIFO opened for reading with O_NONBLOCK never fails, but a socket does this.
    throw new NotRegularFileError(path, e.code === 'ENXIO' ? 'not a regular file' : describe(e), field);
  }
  try {
    if (roots) {
      const real = await descriptorPath(handle, path);
      if (!(await realRootsOf(roots)).some((r) => inside(r.real, real))) throw new OutsideRootsError(path, field, false);
    }
    const s = await handle.stat();
    if (!s.isFile()) throw new NotRegularFileError(path, s.isDirectory() ? 'a folder, not a file' : 'not a regular file', field);
    return { handle, size: s.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The whole content of a small regular file; larger than `maxBytes` is refused before reading. */
export async function readRegularFile(path: string, maxBytes: number, options: OpenOptions = {}): Promise<Buffer> {
  const field = options.field ?? 'path';
  const { handle, size } = await openRegular(path, options);
  try {
    if (size > maxBytes) throw new NotRegularFileError(path, `${size} bytes is more than the ${maxBytes} this file may have`, field);
    return await readFirst(handle, size);
  } finally {
    await handle.close();
  }
}

/**
 * The first `maxBytes` of a regular file, whatever its size: only those are read (a card's front
 * matter in a README.md of any size).
 */
export async function readRegularHead(path: string, maxBytes: number, options: OpenOptions = {}): Promise<Buffer> {
  const { handle, size } = await openRegular(path, options);
  try {
    return await readFirst(handle, Math.min(size, maxBytes));
  } finally {
    await handle.close();
  }
}

/** The first `n` bytes of an open file (fewer if it ends first). */
async function readFirst(handle: FileHandle, n: number): Promise<Buffer> {
  const out = Buffer.alloc(n);
  let done = 0;
  while (done < n) {
    const { bytesRead } = await handle.read(out, done, n - done, done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return out.subarray(0, done);
}
