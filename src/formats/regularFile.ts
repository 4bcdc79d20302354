// Opening files a client named, safely. A FIFO, a character device or a socket named like a
// checkpoint file would block whoever reads it (open(2) on a FIFO waits for a writer, read(2) on
// /dev/zero never ends), so files are opened with O_NONBLOCK — which returns at once even for a
// FIFO — and refused unless fstat says they are regular, before a byte is read. Checking the
// descriptor, not the path, leaves no window for the file to be swapped between check and read.
// All of it is asynchronous: nothing here runs on the event loop's thread.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { BonsaiError } from '../errors.js';

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

/** A read-only handle on a regular file, and its size; anything else is refused without blocking. */
export async function openRegular(path: string, field = 'path'): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // ENXIO: a FIFO opened for reading with O_NONBLOCK never fails, but a socket does this.
    throw new NotRegularFileError(path, e.code === 'ENXIO' ? 'not a regular file' : describe(e), field);
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new NotRegularFileError(path, s.isDirectory() ? 'a folder, not a file' : 'not a regular file', field);
    return { handle, size: s.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The whole content of a small regular file; larger than `maxBytes` is refused before reading. */
export async function readRegularFile(path: string, maxBytes: number, field = 'path'): Promise<Buffer> {
  const { handle, size } = await openRegular(path, field);
  try {
    if (size > maxBytes) throw new NotRegularFileError(path, `${size} bytes is more than the ${maxBytes} this file may have`, field);
    const out = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(out, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return out.subarray(0, done);
  } finally {
    await handle.close();
  }
}
