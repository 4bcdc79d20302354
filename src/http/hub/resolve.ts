// GET and HEAD /{owner}/{name}/resolve/{revision}/{path}: one file of a model at a revision, with
// the headers the Hub's clients read (huggingface_hub's get_hf_file_metadata, huggingface.js's
// fileDownloadInfo): X-Repo-Commit, an ETag (the sha256 for a file kept in LFS, the git blob id
// otherwise) with X-Linked-Etag and X-Linked-Size for LFS files, Content-Length, Accept-Ranges,
// and Range requests (RFC 9110 §14) so an interrupted download resumes. A missing file is a 404
// with X-Error-Code: EntryNotFound.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import rangeParser from 'range-parser';
import type { Services } from '../../registry/access.js';
import { EntryNotFoundError, repoRevision } from '../../registry/hubRepo.js';
import type { ByteRange } from '../../storage/objects.js';
import { attachment } from '../attachment.js';
import { readableRoute } from '../cardRoute.js';
import { fileOid, sourcePath, sourceStream } from './entries.js';

type Params = { owner: string; name: string; revision: string; path: string[] };

export function resolveRoute(services: Services) {
  return readableRoute<Params>(services, async (req, res) => {
    const repo = `${req.params.owner}/${req.params.name}`;
    const path = req.params.path.join('/');
    const revision = await repoRevision(services.registry, repo, req.params.revision, path);
    const file = revision.files.find((f) => f.path === path);
    if (!file) throw new EntryNotFoundError(repo, path);
    const etag = `"${file.lfs ? file.sha256 : await fileOid(services.registry.store, file)}"`;
    res.set({
      'x-repo-commit': revision.sha,
      etag,
      'accept-ranges': 'bytes',
      // A revision's content never changes; `main` moves, so clients revalidate by ETag.
      'cache-control': req.params.revision === revision.sha ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(file.lfs ? { 'x-linked-etag': etag, 'x-linked-size': String(file.size) } : {}),
    });
    attachment(res, path);
    wholeForLongSuffix(req, file.size);
    const { source } = file;
    if (source.kind === 'bytes') {
      sendBytes(req, res, source.bytes);
      return;
    }
    const where = await sourcePath(services.registry.store, source);
    if (where !== null) {
      // send (through express) answers Range, If-Range and HEAD; dot-folders in the store's path are
      // the server's own (BONSAI_HOME=./.bonsai), not a client's.
      await sendFile(res, where, file.size);
      return;
    }
    await sendStored(req, res, file.size, (range) => sourceStream(services.registry.store, source, range));
  });
}

/**
 * send passes its options on to fs.createReadStream: 1 MiB reads instead of the default 64 KiB
 * take a 1 GB download from ~0.66 to ~1 GB/s on loopback (bench:hub), the memory held per
 * download still one chunk.
 */
const READ_CHUNK = 1 << 20;

/**
 * RFC 9110 §14.1.2: "If the selected representation is shorter than the specified suffix-length,
 * the entire representation is used." range-parser (which send uses too) refuses such a suffix as
 * unsatisfiable (416), so a client asking for the last MiB of a smaller file failed: the suffix is
 * rewritten as the whole file before either reads the header.
 */
function wholeForLongSuffix(req: Request, size: number): void {
  const header = req.headers.range;
  if (!header || size === 0) return;
  const m = /^bytes=(.*)$/i.exec(header.trim());
  if (!m) return;
  const specs = m[1]!.split(',').map((spec) => {
    const suffix = /^\s*-\s*(\d+)\s*$/.exec(spec);
    return suffix && Number(suffix[1]) > size ? '0-' : spec;
  });
  req.headers.range = `bytes=${specs.join(',')}`;
}

function sendFile(res: Response, path: string, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = {
      dotfiles: 'allow',
      etag: false,
      lastModified: false,
      cacheControl: false,
      acceptRanges: true,
      highWaterMark: READ_CHUNK,
    } as const;
    res.sendFile(path, options, (err) => {
      if (!err) return resolve();
      // An unsatisfiable range: the same bare 416 as a stored file's, not a JSON error under the
      // attachment's octet-stream type.
      if ((err as { status?: number }).status === 416 && !res.headersSent) {
        unsatisfiable(res, size);
        return resolve();
      }
      reject(err);
    });
  });
}

/**
 * A file of a store whose objects are not on this disk (a bucket), answered as send answers a
 * local one: 304 for a matching If-None-Match, If-Range by the strong ETag, one byte range as 206
 * (read from the store from its first byte, nothing before it), 416 for a range past the end, HEAD
 * without reading anything. Several ranges are answered whole, as send does.
 */
async function sendStored(req: Request, res: Response, size: number, open: (range?: ByteRange) => Promise<Readable>): Promise<void> {
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const header = ifRange === undefined || ifRange === res.get('etag') ? req.headers.range : undefined;
  const ranges = header ? rangeParser(size, header, { combine: true }) : -2;
  if (ranges === -1) {
    unsatisfiable(res, size);
    return;
  }
  let range: ByteRange | undefined;
  if (Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1) {
    range = ranges[0]!;
    res.status(206).set('content-range', `bytes ${range.start}-${range.end}/${size}`);
  }
  res.set('content-length', String(range ? range.end - range.start + 1 : size));
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  // A client that breaks off ends the pipeline, which closes what it read from; the app's error
  // handler tells that from a failure to read the store (src/http/errors.ts).
  await pipeline(await open(range), res);
}

/** Bytes made on request (the card), with the same Range handling as a stored file. */
function sendBytes(req: Request, res: Response, bytes: Buffer): void {
  const header = req.headers.range;
  const ranges = header ? rangeParser(bytes.length, header, { combine: true }) : -2;
  if (ranges === -1) {
    unsatisfiable(res, bytes.length);
    return;
  }
  if (Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1) {
    const { start, end } = ranges[0]!;
    res
      .status(206)
      .set('content-range', `bytes ${start}-${end}/${bytes.length}`)
      .send(bytes.subarray(start, end + 1));
    return;
  }
  res.send(bytes);
}

/** A range past the end (RFC 9110 §15.5.17): 416 with the file's size, no body, whichever way the file is sent. */
function unsatisfiable(res: Response, size: number): void {
  res.status(416).set('content-range', `bytes */${size}`).end();
}
