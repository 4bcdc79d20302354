// The Content-Disposition of a download named after a checkpoint's file. A file name may hold any
// character a file system allows (a shard in Japanese, a quote, even CR/LF), and Node refuses a
// header holding a character outside Latin-1 or a line break (ERR_INVALID_CHAR, a 500), so the
// name travels as RFC 6266's `filename*` in RFC 8187's UTF-8 percent-encoding, with a printable
// ASCII `filename` beside it for clients that read only that. express's res.attachment does this
// through the content-disposition package.
import { posix } from 'node:path';
import type { Response } from 'express';

/** Marks `res` as a download of the file at `path` (its last segment names it), as bytes. */
export function attachment(res: Response, path: string): Response {
  return res.attachment(posix.basename(path)).type('application/octet-stream');
}
