// A Hugging Face checkpoint folder: config.json, generation_config.json, tokenizer files and the
// safetensors weights (sharded or not).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BonsaiError, type ErrorCode } from '../../errors.js';

export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'added_tokens.json',
] as const;

export type JsonObject = Record<string, unknown>;

export class CheckpointError extends BonsaiError {
  constructor(file: string, problem: string, code: ErrorCode = 'BAD_CHECKPOINT') {
    super(code, `${file}: ${problem}`, { field: 'path', file, problem });
  }
}

/** JSON config files are small; anything larger is not one (and is not read into memory). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

function readJsonObject(path: string): JsonObject {
  let text: string;
  try {
    // A FIFO or device named config.json would block the reader forever: regular files only.
    const s = statSync(path);
    if (!s.isFile()) throw new CheckpointError(path, 'not a regular file');
    if (s.size > MAX_JSON_BYTES) throw new CheckpointError(path, `${s.size} bytes is too large for a configuration file`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(path, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(path, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CheckpointError(path, 'must be a JSON object');
  return parsed as JsonObject;
}

export interface CheckpointFolder {
  dir: string;
  config: JsonObject;
  generationConfig: JsonObject | undefined;
  /** Tokenizer files present, by name. */
  tokenizerFiles: string[];
  /** Every regular file in the folder with its size, sorted by name. */
  files: Array<{ name: string; size: number }>;
}

export function readCheckpointFolder(dir: string): CheckpointFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(dir, 'not a folder');
  const config = readJsonObject(join(dir, 'config.json'));
  const genPath = join(dir, 'generation_config.json');
  const generationConfig = existsSync(genPath) ? readJsonObject(genPath) : undefined;
  // A link counts as the file it points to (a Hugging Face cache snapshot is all links).
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() || (e.isSymbolicLink() && statSync(join(dir, e.name), { throwIfNoEntry: false })?.isFile()))
    .map((e) => ({ name: e.name, size: statSync(join(dir, e.name)).size }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const present = new Set(files.map((f) => f.name));
  return { dir, config, generationConfig, tokenizerFiles: TOKENIZER_FILES.filter((f) => present.has(f)), files };
}
