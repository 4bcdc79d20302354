// A checkpoint's tokenizer files, read in one place: tokenizer.json (required) and
// tokenizer_config.json (optional), each a regular file holding a JSON object, read under the JSON
// reading policy (src/formats/json.ts): strict UTF-8, nested at most 128 deep, tokenizer.json at most
// MAX_TOKENIZER_BYTES and tokenizer_config.json at most MAX_CONFIG_BYTES.
// The asynchronous reader serves the API (registration's check); the synchronous one the job
// processes and the CLI, whose tokenizer library calls are synchronous anyway.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BadInputError } from '../../errors.js';
import { NotRegularFileError, readRegularFile } from '../regularFile.js';
import { CheckpointError, MAX_CONFIG_BYTES, parseJsonObject, readJsonBytesSync } from './folder.js';

export const TOKENIZER_JSON = 'tokenizer.json';
export const TOKENIZER_CONFIG = 'tokenizer_config.json';
/**
 * The largest published tokenizer.json files are about 33 MB (Gemma-3's 262,144 pieces); four times
 * that is room for any real vocabulary, and bounds the memory the registration check's worker may
 * use (tokenizerCheck.ts).
 */
export const MAX_TOKENIZER_BYTES = 128 * 1024 * 1024;

export interface TokenizerFiles {
  /** tokenizer.json, parsed. */
  json: Record<string, unknown>;
  /** tokenizer_config.json, parsed ({} when the checkpoint has none). */
  config: Record<string, unknown>;
}

/**
 * What the two files' bytes were (the sha256 of each, `none` for an absent tokenizer_config.json):
 * the registration check's verdicts are kept by it (tokenizerCheck.ts).
 */
export function tokenizerDigest(tokenizerSha256: string, configSha256: string | null): string {
  return `${tokenizerSha256}:${configSha256 ?? 'none'}`;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const missing = (dir: string, purpose: string) =>
  new BadInputError('tokenizer.json', `${dir} has no tokenizer.json; ${purpose} needs the model's tokenizer`);

async function readAsync(path: string, maxBytes: number, roots?: readonly string[]): Promise<Buffer | null> {
  try {
    return await readRegularFile(path, maxBytes, { roots });
  } catch (err) {
    if (err instanceof NotRegularFileError && err.details.problem === 'missing') return null;
    if (err instanceof NotRegularFileError) throw new CheckpointError(path, String(err.details.problem));
    throw err;
  }
}

/**
 * `roots`: the import roots the files' real paths must lie under (registration). `onDigest` is
 * told the digest of the bytes read, before they are parsed.
 */
export async function readTokenizerFiles(
  dir: string,
  purpose: string,
  roots?: readonly string[],
  onDigest?: (digest: string) => void,
): Promise<TokenizerFiles> {
  const tokenizer = await readAsync(join(dir, TOKENIZER_JSON), MAX_TOKENIZER_BYTES, roots);
  if (tokenizer === null) throw missing(dir, purpose);
  const config = await readAsync(join(dir, TOKENIZER_CONFIG), MAX_CONFIG_BYTES, roots);
  const bytes = { dir, json: tokenizer, config };
  onDigest?.(digestOf(bytes));
  return parseTokenizerBytes(bytes);
}

/** The two files' bytes as read (tokenizer_config.json null where there is none). */
export interface TokenizerBytes {
  dir: string;
  json: Buffer;
  config: Buffer | null;
}

/** The files' bytes, synchronously (the job processes and the CLI), under the size bounds. */
export function readTokenizerBytesSync(dir: string, purpose: string): TokenizerBytes {
  const json = readJsonBytesSync(join(dir, TOKENIZER_JSON), MAX_TOKENIZER_BYTES);
  if (json === null) throw missing(dir, purpose);
  return { dir, json, config: readJsonBytesSync(join(dir, TOKENIZER_CONFIG)) };
}

/** What the bytes are (tokenizerDigest): a caller keeps what it builds from them by it. */
export function digestOf(bytes: TokenizerBytes): string {
  return tokenizerDigest(sha256(bytes.json), bytes.config === null ? null : sha256(bytes.config));
}

/** The bytes, parsed under the JSON reading policy. */
export function parseTokenizerBytes(bytes: TokenizerBytes): TokenizerFiles {
  return {
    json: parseJsonObject(bytes.json, join(bytes.dir, TOKENIZER_JSON), MAX_TOKENIZER_BYTES),
    config: bytes.config === null ? {} : parseJsonObject(bytes.config, join(bytes.dir, TOKENIZER_CONFIG)),
  };
}

export function readTokenizerFilesSync(dir: string, purpose: string): TokenizerFiles {
  return parseTokenizerBytes(readTokenizerBytesSync(dir, purpose));
}
