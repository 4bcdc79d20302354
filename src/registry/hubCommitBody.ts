// The body of a Hub commit (`POST /api/models/{repo}/commit/{rev}`), read as it streams in. Two forms:
// NDJSON, one `{key, value}` per line — a `header` (summary, description, parentCommit), `file`
// (path, base64 content), `lfsFile` (path, algo sha256, oid, size), `deletedFile` or `deletedFolder`
// (path) — as huggingface.js's commit.ts and huggingface_hub's _commit_api.py send it; and the one
// JSON object older huggingface_hub versions sent (summary, description, files, lfsFiles,
// deletedFiles). A regular file's content goes to the staging folder as soon as its line is read,
// so only one line (at most MAX_LINE_BYTES) is in memory at a time, whatever the commit's size.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import { fileNameProblem } from '../formats/fileNames.js';
import { parseJsonBytes } from '../formats/json.js';

/** A regular file sent inline: the Hub refuses more than 10 MiB without LFS (preupload says `lfs` from there). */
export const MAX_INLINE_FILE_BYTES = 10 * 1024 * 1024;
/** One NDJSON line: a 10 MiB file in base64 (4/3) and its JSON around it. */
export const MAX_LINE_BYTES = 14 * 1024 * 1024;
/** The whole JSON form, read at once. */
export const MAX_JSON_BODY_BYTES = 64 * 1024 * 1024;
/** Operations in one commit, and the inline bytes they may stage in all. */
export const MAX_OPERATIONS = 10_000;
export const MAX_INLINE_TOTAL_BYTES = 1024 * 1024 * 1024;
const MAX_PATH = 1000;

export interface CommitHeader {
  summary: string;
  description: string;
  parentCommit: string | null;
}

export interface CommitBody {
  header: CommitHeader;
  /** Regular files, staged under the staging folder (file `staged`). */
  files: Array<{ path: string; staged: string; sha256: string; size: number }>;
  lfsFiles: Array<{ path: string; oid: string; size: number | null }>;
  deleted: Array<{ path: string; folder: boolean }>;
}

/**
 * A path inside a repository: relative, forward slashes, no `.`/`..`/empty segment, no NUL or
 * backslash (git refuses them too: `verify_path` in git's read-cache.c), at most 1,000 characters,
 * each segment at most 255 bytes of UTF-8 (NAME_MAX: the commit checks the files out on disk).
 */
export function checkRepoPath(path: unknown, field: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new BadInputError(field, 'must be a file path in the repository');
  if (path.length > MAX_PATH) throw new BadInputError(field, `at most ${MAX_PATH} characters`);
  if (path.includes('\\')) throw new BadInputError(field, 'must not contain control characters or backslashes');
  // Every segment is one file name, by the rule a registered checkpoint's shard names follow too.
  for (const segment of path.split('/')) {
    const problem = fileNameProblem(segment);
    if (problem)
      throw new BadInputError(
        field,
        segment === '' || segment === '.' || segment === '..' || segment.toLowerCase() === '.git'
          ? `${JSON.stringify(path.slice(0, 200))} is not a relative path (no leading /, //, . or .. segments, no .git)`
          : `${JSON.stringify(path.slice(0, 200))}: the name ${JSON.stringify(segment.slice(0, 40))} ${problem}`,
      );
  }
  return path;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export class CommitBodyReader {
  private readonly body: CommitBody = {
    header: { summary: '', description: '', parentCommit: null },
    files: [],
    lfsFiles: [],
    deleted: [],
  };
  private readonly paths = new Set<string>();
  private count = 0;
  private inlineBytes = 0;
  private sawHeader = false;

  constructor(private readonly staging: string) {}

  /** Reads an NDJSON body line by line. */
  async readNdjson(chunks: AsyncIterable<unknown>): Promise<CommitBody> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let line = 0;
    for await (const chunk of chunks) {
      let buf = chunk as Buffer;
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
        pending.push(buf.subarray(0, nl));
        await this.line(Buffer.concat(pending), ++line);
        pending = [];
        pendingBytes = 0;
        buf = buf.subarray(nl + 1);
      }
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes > MAX_LINE_BYTES)
        throw new BadInputError(
          `line ${line + 1}`,
          `longer than ${MAX_LINE_BYTES.toLocaleString('en-US')} bytes (files over 10 MiB go through LFS)`,
        );
    }
    if (pendingBytes) await this.line(Buffer.concat(pending), ++line);
    return this.finish();
  }

  /** Reads the JSON form (huggingface_hub before NDJSON), at most MAX_JSON_BODY_BYTES. */
  async readJson(bytes: Buffer): Promise<CommitBody> {
    const v = parseJsonBytes(bytes, 'body', { maxBytes: MAX_JSON_BODY_BYTES });
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadInputError('body', 'must be a JSON object');
    const o = v as Record<string, unknown>;
    await this.operation('header', { summary: o.summary, description: o.description, parentCommit: o.parentCommit }, 'body');
    for (const [key, list] of [
      ['file', o.files],
      ['lfsFile', o.lfsFiles],
      ['deletedFile', o.deletedFiles],
    ] as const) {
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw new BadInputError(`${key}s`, 'must be a list');
      for (const [i, item] of list.entries()) await this.operation(key, item, `${key}s[${i}]`);
    }
    return this.finish();
  }

  private async line(bytes: Buffer, n: number): Promise<void> {
    if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d)) return;
    const where = `line ${n}`;
    const v = parseJsonBytes(bytes, where, { maxBytes: MAX_LINE_BYTES });
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadInputError(where, 'must be a JSON object {"key", "value"}');
    const { key, value } = v as { key?: unknown; value?: unknown };
    await this.operation(key, value, where);
  }

  private async operation(key: unknown, value: unknown, where: string): Promise<void> {
    if (typeof value !== 'object' || value === null) throw new BadInputError(`${where}.value`, 'must be an object');
    const v = value as Record<string, unknown>;
    if (key === 'header') {
      if (this.sawHeader) throw new BadInputError(where, 'a second header');
      this.sawHeader = true;
      const text = (x: unknown, field: string, max: number) => {
        if (x === undefined || x === null) return '';
        if (typeof x !== 'string' || x.length > max || x.includes('\0'))
          throw new BadInputError(`${where}.${field}`, `must be text of at most ${max} characters`);
        return x;
      };
      const parent = v.parentCommit;
      if (parent !== undefined && parent !== null && (typeof parent !== 'string' || !/^[0-9a-f]{40}$/.test(parent)))
        throw new BadInputError(`${where}.parentCommit`, 'must be a 40-hex commit id');
      this.body.header = {
        summary: text(v.summary, 'summary', 1000),
        description: text(v.description, 'description', 10_000),
        parentCommit: (parent as string | undefined) ?? null,
      };
      return;
    }
    if (++this.count > MAX_OPERATIONS) throw new BadInputError(where, `more than ${MAX_OPERATIONS} operations in one commit`);
    const path = checkRepoPath(v.path, `${where}.path`);
    if (this.paths.has(path)) throw new BadInputError(`${where}.path`, `${path} appears twice in the commit`);
    this.paths.add(path);
    if (key === 'file') {
      if (v.encoding !== undefined && v.encoding !== 'base64') throw new BadInputError(`${where}.encoding`, 'must be base64');
      if (typeof v.content !== 'string' || v.content.length % 4 !== 0 || !BASE64.test(v.content))
        throw new BadInputError(`${where}.content`, `${path}: must be base64 (RFC 4648)`);
      const bytes = Buffer.from(v.content, 'base64');
      if (bytes.length > MAX_INLINE_FILE_BYTES)
        throw new BadInputError(`${where}.content`, `${path}: more than 10 MiB; send it through LFS`);
      this.inlineBytes += bytes.length;
      if (this.inlineBytes > MAX_INLINE_TOTAL_BYTES) throw new BadInputError(where, 'more than 1 GiB of inline files in one commit');
      const staged = join(this.staging, String(this.count));
      await writeFile(staged, bytes);
      this.body.files.push({ path, staged, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    } else if (key === 'lfsFile') {
      if (v.algo !== undefined && v.algo !== 'sha256') throw new BadInputError(`${where}.algo`, 'must be sha256');
      if (typeof v.oid !== 'string' || !SHA256.test(v.oid))
        throw new BadInputError(`${where}.oid`, `${path}: must be a sha256 (64 hex digits)`);
      const size = v.size === undefined ? null : Number(v.size);
      if (size !== null && (!Number.isSafeInteger(size) || size < 0)) throw new BadInputError(`${where}.size`, 'must be a byte count');
      this.body.lfsFiles.push({ path, oid: v.oid, size });
    } else if (key === 'deletedFile' || key === 'deletedFolder') {
      this.body.deleted.push({ path, folder: key === 'deletedFolder' });
    } else {
      throw new BadInputError(`${where}.key`, 'must be header, file, lfsFile, deletedFile or deletedFolder');
    }
  }

  private finish(): CommitBody {
    if (!this.sawHeader) throw new BadInputError('header', 'the commit has no header (its summary)');
    return this.body;
  }
}
