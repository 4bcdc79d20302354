// A checkpoint's tokenizer files, read in one place: tokenizer.json (required) and
// tokenizer_config.json (optional), each a regular file of at most 256 MiB holding a JSON object.
// The asynchronous reader serves the API (registration's check); the synchronous one the job
// processes and the CLI, whose tokenizer library calls are synchronous anyway.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../errors.js';
import { NotRegularFileError, readRegularFile } from '../regularFile.js';
import { CheckpointError, parseJsonObject } from './folder.js';

export const TOKENIZER_JSON = 'tokenizer.json';
export const TOKENIZER_CONFIG = 'tokenizer_config.json';
const MAX_BYTES = 256 * 1024 * 1024;

export interface TokenizerFiles {
  /** tokenizer.json, parsed. */
  json: Record<string, unknown>;
  /** tokenizer_config.json, parsed ({} when the checkpoint has none). */
  config: Record<string, unknown>;
}

const missing = (dir: string, purpose: string) =>
  new BadInputError('tokenizer.json', `${dir} has no tokenizer.json; ${purpose} needs the model's tokenizer`);

async function readAsync(path: string): Promise<string | null> {
  try {
    return (await readRegularFile(path, MAX_BYTES)).toString('utf8');
  } catch (err) {
    if (err instanceof NotRegularFileError && err.details.problem === 'missing') return null;
    if (err instanceof NotRegularFileError) throw new CheckpointError(path, String(err.details.problem));
    throw err;
  }
}

export async function readTokenizerFiles(dir: string, purpose: string): Promise<TokenizerFiles> {
  const tokenizer = await readAsync(join(dir, TOKENIZER_JSON));
  if (tokenizer === null) throw missing(dir, purpose);
  const config = await readAsync(join(dir, TOKENIZER_CONFIG));
  return {
    json: parseJsonObject(tokenizer, join(dir, TOKENIZER_JSON)),
    config: config === null ? {} : parseJsonObject(config, join(dir, TOKENIZER_CONFIG)),
  };
}

function readSync(path: string): string | null {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return null;
  if (!s.isFile()) throw new CheckpointError(path, 'not a regular file');
  if (s.size > MAX_BYTES) throw new CheckpointError(path, `${s.size} bytes is more than the ${MAX_BYTES} a tokenizer file may have`);
  return readFileSync(path, 'utf8');
}

export function readTokenizerFilesSync(dir: string, purpose: string): TokenizerFiles {
  const tokenizer = readSync(join(dir, TOKENIZER_JSON));
  if (tokenizer === null) throw missing(dir, purpose);
  const config = readSync(join(dir, TOKENIZER_CONFIG));
  return {
    json: parseJsonObject(tokenizer, join(dir, TOKENIZER_JSON)),
    config: config === null ? {} : parseJsonObject(config, join(dir, TOKENIZER_CONFIG)),
  };
}
