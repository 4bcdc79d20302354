// A Hugging Face checkpoint folder: config.json, generation_config.json, tokenizer files and the
// safetensors weights (sharded or not).
import { readFileSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BonsaiError, type ErrorCode } from '../../errors.js';
import { JsonPolicyError, parseJsonBytes } from '../json.js';
import { NotRegularFileError, readRegularFile } from '../regularFile.js';
import { followInside } from '../roots.js';

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

/**
 * config.json, generation_config.json and tokenizer_config.json are small (Gemma-3's
 * tokenizer_config.json, with 6,000 added tokens, is the largest published one: 1.2 MB); anything
 * larger is not one and is not read into memory.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * A checkpoint file's bytes as a JSON object, under the JSON reading policy (src/formats/json.ts:
 * at most `maxBytes`, strict UTF-8, nested at most 128 deep like serde_json), or CheckpointError
 * naming the file.
 */
export function parseJsonObject(bytes: Uint8Array, path: string, maxBytes = MAX_CONFIG_BYTES): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseJsonBytes(bytes, path, { maxBytes, code: 'BAD_CHECKPOINT' });
  } catch (err) {
    if (err instanceof JsonPolicyError) throw new CheckpointError(path, String(err.details.problem));
    throw err;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CheckpointError(path, 'must be a JSON object');
  return parsed as JsonObject;
}

/**
 * A JSON object file of the checkpoint: a regular file (never a FIFO), small, valid JSON, an object;
 * with `roots`, one whose real path lies under them (src/formats/regularFile.ts).
 */
export async function readJsonObject(path: string, maxBytes = MAX_CONFIG_BYTES, roots?: readonly string[]): Promise<JsonObject> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, maxBytes, { roots });
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new CheckpointError(path, err.details.problem as string);
    throw err;
  }
  return parseJsonObject(bytes, path, maxBytes);
}

/**
 * A JSON file's bytes, synchronously, for the job processes and the CLI (never the API): a regular
 * file of at most `maxBytes`, or null when it does not exist. Parsed by parseJsonObject.
 */
export function readJsonBytesSync(path: string, maxBytes = MAX_CONFIG_BYTES): Buffer | null {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return null;
  if (!s.isFile()) throw new CheckpointError(path, 'not a regular file');
  if (s.size > maxBytes)
    throw new CheckpointError(
      path,
      `${s.size.toLocaleString('en-US')} bytes is more than the ${maxBytes.toLocaleString('en-US')} it may have`,
    );
  return readFileSync(path);
}

/** readJsonObject, synchronously (readJsonBytesSync): null when the file does not exist. */
export function readJsonObjectSync(path: string, maxBytes = MAX_CONFIG_BYTES): JsonObject | null {
  const bytes = readJsonBytesSync(path, maxBytes);
  return bytes === null ? null : parseJsonObject(bytes, path, maxBytes);
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

/**
 * The folder's configuration and file list, read without blocking the event loop; with `roots`
 * (registration), every file is read, and every link followed, inside them only.
 */
export async function readCheckpointFolder(dir: string, roots?: readonly string[]): Promise<CheckpointFolder> {
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new CheckpointError(dir, 'not a folder');
  const config = await readJsonObject(join(dir, 'config.json'), MAX_CONFIG_BYTES, roots);
  const entries = await readdir(dir, { withFileTypes: true });
  const generationConfig = entries.some((e) => e.name === 'generation_config.json')
    ? await readJsonObject(join(dir, 'generation_config.json'), MAX_CONFIG_BYTES, roots)
    : undefined;
  // A link counts as the file it points to (a Hugging Face cache snapshot is all links).
  const files: Array<{ name: string; size: number }> = [];
  for (const e of entries) {
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    if (roots && e.isSymbolicLink() && (await followInside(join(dir, e.name), roots)).kind !== 'inside') continue;
    const s = await stat(join(dir, e.name)).catch(() => null);
    if (s?.isFile()) files.push({ name: e.name, size: s.size });
  }
  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  const present = new Set(files.map((f) => f.name));
  return { dir, config, generationConfig, tokenizerFiles: TOKENIZER_FILES.filter((f) => present.has(f)), files };
}
