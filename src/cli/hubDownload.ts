// Downloads every file of a model repository from a Hub-protocol server (a remote Bonsai) into a
// folder, as `hf download --local-dir` does (huggingface_hub's snapshot_download and
// _download_to_tmp_and_move): the revision is resolved to its commit first, so a `main` that moves
// during the pull cannot mix two commits; each file is written to
// DIR/.cache/bonsai/download/PATH.incomplete and moved into place only once its size and hash
// match the listing (sha256 for LFS files, the git blob id otherwise), so DIR never holds a
// half-written file; an incomplete file is resumed with a Range request (RFC 9110 §14), and a
// file already in place with the listed hash is not downloaded again.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { HubApiError, type ListFileEntry, listFiles, modelInfo } from '@huggingface/hub';
import { BadInputError, BonsaiError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors.js';

/** Where incomplete files wait, inside the destination (hf download uses .cache/huggingface/download). */
export const SCRATCH = join('.cache', 'bonsai');

export interface PullOptions {
  hubUrl: string;
  repo: string;
  /** A branch (main), HEAD or a 40-hex commit. */
  revision: string;
  dir: string;
  accessToken?: string;
  /** The fetch every request goes through (the Hub client's `fetch` parameter). */
  fetch?: typeof fetch;
  /** Called once the listing is known: every file and the bytes already on disk. */
  onStart?: (files: readonly RemoteFile[], bytesPresent: number) => void;
  /** Bytes received since the last call. */
  onBytes?: (bytes: number, path: string) => void;
}

export interface RemoteFile {
  path: string;
  size: number;
  /** sha256 for an LFS file, the git blob sha1 otherwise: what the file is checked against. */
  hash: { algorithm: 'sha256' | 'git-sha1'; hex: string };
}

export type FileOutcome = 'present' | 'downloaded' | 'resumed';

export interface PullResult {
  commit: string;
  files: Array<{ path: string; size: number; outcome: FileOutcome; transferred: number }>;
  transferred: number;
}

export async function pullRepo(o: PullOptions): Promise<PullResult> {
  if (o.accessToken !== undefined && !o.accessToken.startsWith('hf_'))
    throw new BadInputError('BONSAI_TOKEN', 'must be a Bonsai token (hf_bonsai_…), as the Hub protocol’s clients require');
  const commit = await hubCall(o, 'the model', async () => {
    const info = await modelInfo({
      name: o.repo,
      revision: o.revision,
      hubUrl: o.hubUrl,
      accessToken: o.accessToken,
      fetch: o.fetch,
      additionalFields: ['sha'],
    });
    return info.sha;
  });
  if (!commit || !/^[0-9a-f]{40}$/.test(commit))
    throw new BonsaiError('BAD_CHECKPOINT', `${o.hubUrl} gave no commit id for ${o.repo}@${o.revision}`);
  const files = await hubCall(o, 'the file list', async () => {
    const out: RemoteFile[] = [];
    for await (const e of listFiles({
      repo: o.repo,
      revision: commit,
      recursive: true,
      hubUrl: o.hubUrl,
      accessToken: o.accessToken,
      fetch: o.fetch,
    }))
      if (e.type === 'file') out.push(remoteFile(o, e));
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  });
  if (new Set(files.map((f) => f.path)).size !== files.length) throw new BonsaiError('BAD_CHECKPOINT', `${o.hubUrl} listed a file twice`);
  await mkdir(o.dir, { recursive: true });
  const present = new Map<string, boolean>();
  let bytesPresent = 0;
  for (const f of files) {
    const ok = (await hashOf(join(o.dir, f.path), f)) === f.hash.hex;
    present.set(f.path, ok);
    bytesPresent += ok ? f.size : await partialSize(o.dir, f);
  }
  o.onStart?.(files, bytesPresent);
  const result: PullResult = { commit, files: [], transferred: 0 };
  for (const f of files) {
    const done = present.get(f.path) ? { outcome: 'present' as const, transferred: 0 } : await downloadOne(o, commit, f);
    result.files.push({ path: f.path, size: f.size, ...done });
    result.transferred += done.transferred;
  }
  await removeEmptyScratch(o.dir);
  return result;
}

/** A listed file, its path checked: the server names where the file is written. */
function remoteFile(o: PullOptions, e: ListFileEntry): RemoteFile {
  const parts = e.path.split('/');
  if (
    parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0')) ||
    e.path.startsWith(`${SCRATCH}/`) ||
    !Number.isSafeInteger(e.size) ||
    e.size < 0
  )
    throw new BonsaiError(
      'BAD_CHECKPOINT',
      `${o.hubUrl} listed a file that cannot be written inside the folder: ${JSON.stringify(e.path).slice(0, 300)}`,
    );
  if (e.lfs) {
    if (!/^[0-9a-f]{64}$/.test(e.lfs.oid)) throw new BonsaiError('BAD_CHECKPOINT', `${e.path}: the listing's LFS oid is not a sha256`);
    return { path: e.path, size: e.size, hash: { algorithm: 'sha256', hex: e.lfs.oid } };
  }
  if (!e.oid || !/^[0-9a-f]{40}$/.test(e.oid)) throw new BonsaiError('BAD_CHECKPOINT', `${e.path}: the listing has no git blob id`);
  return { path: e.path, size: e.size, hash: { algorithm: 'git-sha1', hex: e.oid } };
}

function newHash(f: RemoteFile): Hash {
  // A git blob id is the sha1 of `blob <size>\0` and the content (git's object format).
  return f.hash.algorithm === 'sha256' ? createHash('sha256') : createHash('sha1').update(`blob ${f.size}\0`);
}

/** The hash of a file on disk when its size is the listed one, else null. */
async function hashOf(path: string, f: RemoteFile): Promise<string | null> {
  const s = await stat(path).catch(() => null);
  if (!s?.isFile() || s.size !== f.size) return null;
  return (await feed(newHash(f), path)).digest('hex');
}

/** Feeds a file's first `length` bytes (all by default) into a hash. */
async function feed(hash: Hash, path: string, length?: number): Promise<Hash> {
  for await (const c of createReadStream(path, length === undefined ? {} : { end: length - 1 })) hash.update(c as Buffer);
  return hash;
}

const incompletePath = (dir: string, f: RemoteFile) => join(dir, SCRATCH, 'download', `${f.path}.incomplete`);

async function partialSize(dir: string, f: RemoteFile): Promise<number> {
  const s = await stat(incompletePath(dir, f)).catch(() => null);
  return s?.isFile() && s.size <= f.size ? s.size : 0;
}

async function downloadOne(
  o: PullOptions,
  commit: string,
  f: RemoteFile,
  retried = false,
): Promise<{ outcome: FileOutcome; transferred: number }> {
  const partial = incompletePath(o.dir, f);
  await mkdir(dirname(partial), { recursive: true });
  let offset = await partialSize(o.dir, f);
  let hash = newHash(f);
  if (offset > 0) await feed(hash, partial, offset);
  let transferred = 0;
  if (offset < f.size || f.size === 0) {
    const url = `${o.hubUrl}/${o.repo}/resolve/${commit}/${f.path.split('/').map(encodeURIComponent).join('/')}`;
    const res = await hubCall(o, f.path, async () => {
      const r = await (o.fetch ?? fetch)(url, {
        headers: {
          ...(o.accessToken ? { authorization: `Bearer ${o.accessToken}` } : {}),
          ...(offset > 0 ? { range: `bytes=${offset}-` } : {}),
        },
      });
      if (!r.ok) throw new HubApiError(url, r.status, undefined, await r.text().catch(() => ''));
      return r;
    });
    // A server that ignores the range sends the whole file: write it from its first byte.
    if (offset > 0 && !(res.status === 206 && res.headers.get('content-range')?.startsWith(`bytes ${offset}-`))) {
      offset = 0;
      hash = newHash(f);
    }
    transferred = await receive(o, f, res, partial, offset, hash);
  }
  const size = (await stat(partial)).size;
  const hex = hash.digest('hex');
  if (size !== f.size || hex !== f.hash.hex) {
    await rm(partial, { force: true });
    // A resumed file whose earlier part was damaged: once more from the start.
    if (offset > 0 && !retried) return downloadOne(o, commit, f, true);
    throw new BonsaiError(
      'BAD_CHECKPOINT',
      `${f.path}: received ${size} bytes with ${f.hash.algorithm} ${hex}, the listing says ${f.size} bytes with ${f.hash.hex}`,
      { field: f.path },
    );
  }
  await mkdir(dirname(join(o.dir, f.path)), { recursive: true });
  await rename(partial, join(o.dir, f.path));
  return { outcome: offset > 0 ? 'resumed' : 'downloaded', transferred };
}

/** Streams the body onto the incomplete file (appending after `offset`), hashing as it goes. */
async function receive(o: PullOptions, f: RemoteFile, res: Response, partial: string, offset: number, hash: Hash): Promise<number> {
  if (!res.body) return 0;
  let received = 0;
  const limit = f.size - offset;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      // More than the listing says: stop before the disk fills with a server's endless answer.
      if (received > limit)
        return done(new BonsaiError('BAD_CHECKPOINT', `${f.path}: the server sent more than the listed ${f.size} bytes`));
      hash.update(chunk);
      o.onBytes?.(chunk.length, f.path);
      done(null, chunk);
    },
  });
  const out = createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' });
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), count, out);
  } catch (err) {
    // Writes already handed to the file system land after the pipeline rejects: the incomplete
    // file's size is final (what the resume's Range starts from) only once the stream has closed.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    throw err;
  }
  return received;
}

/** Removes DIR/.cache/bonsai (and .cache) once nothing incomplete is left in them. */
async function removeEmptyScratch(dir: string): Promise<void> {
  const scratch = join(dir, SCRATCH);
  await rm(join(scratch, 'download'), { recursive: true, force: true });
  await rmdir(scratch).catch(() => {});
  await rmdir(dirname(scratch)).catch(() => {});
}

/** A Hub call, its failures turned into the project's errors, naming what was asked for. */
async function hubCall<T>(o: PullOptions, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof BonsaiError) throw err;
    if (err instanceof HubApiError) {
      const why = err.message ? ` (${err.message.slice(0, 300)})` : '';
      if (err.statusCode === 401) throw new UnauthenticatedError(`${o.hubUrl} asks for a token to read ${o.repo}: set BONSAI_TOKEN${why}`);
      if (err.statusCode === 403) throw new ForbiddenError(`BONSAI_TOKEN may not read ${o.repo} on ${o.hubUrl}${why}`);
      if (err.statusCode === 404)
        throw new NotFoundError(
          what === 'the model' || what === 'the file list' ? 'model or revision' : 'file',
          `${o.repo}@${o.revision}${what.startsWith('the ') ? '' : `: ${what}`}${why}`,
        );
      throw new BonsaiError('BAD_CHECKPOINT', `${o.hubUrl} answered ${err.statusCode} for ${what} of ${o.repo}${why}`);
    }
    if (err instanceof TypeError && /fetch failed/.test(err.message)) {
      const cause = (err.cause as Error | undefined)?.message ?? err.message;
      throw new BonsaiError('BAD_CONFIG', `BONSAI_URL: cannot reach ${o.hubUrl} (${cause})`, { field: 'BONSAI_URL' }, { cause: err });
    }
    throw err;
  }
}
