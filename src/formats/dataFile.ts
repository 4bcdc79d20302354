// Evaluation data files, read with errors that name the file, the line and the problem.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { BadInputError } from '../errors.js';
import { JsonPolicyError, parseJsonBytes } from './json.js';

export interface DataFile {
  path: string;
  text: string;
  sha256: string;
}

/**
 * The largest evaluation, calibration or corpus file: 256 MiB. Files are decoded whole, and V8
 * cannot hold a string of more than 2^29 characters, so a larger limit would turn a too-large file
 * into a crash instead of an error (checked again when a job is asked for, src/registry/importPath.ts).
 */
export const MAX_DATA_FILE_BYTES = 256 * 1024 * 1024;

export function dataFileTooLarge(path: string, size: number, field: string): BadInputError {
  return new BadInputError(
    field,
    `${path} has ${size.toLocaleString('en-US')} bytes; data files may have at most ${MAX_DATA_FILE_BYTES.toLocaleString('en-US')} (256 MiB)`,
  );
}

/**
 * Synchronous (the job processes' tasks and the CLI, never the API). The file is opened with
 * O_NONBLOCK and checked with fstat on the descriptor, like src/formats/regularFile.ts: a path
 * swapped for a FIFO after the job's containment check (src/registry/importPath.ts resolveDataFile)
 * is refused instead of blocking the job forever, and the bytes read are those of the file checked.
 */
export function readDataFile(path: string, field = 'data'): DataFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadInputError(field, code === 'ENOENT' ? `${path} does not exist` : `${path} is not a readable file (${code})`);
  }
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new BadInputError(field, `${path} is not a file`);
    if (stat.size > MAX_DATA_FILE_BYTES) throw dataFileTooLarge(path, stat.size, field);
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  let text: string;
  try {
    // Strict: a Latin-1 file decoded leniently would be scored (or counted) as replacement characters.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadInputError(field, `${path} is not UTF-8 text`);
  }
  if (text.trim().length === 0) throw new BadInputError(field, `${path} is empty`);
  return { path, text, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** JSONL records, each checked by `check` (which returns a problem or null). */
export function readJsonl<T>(file: DataFile, check: (r: Record<string, unknown>) => string | null, field = 'data'): T[] {
  const out: T[] = [];
  file.text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      // The JSON reading policy (src/formats/json.ts): nesting bounded before anything walks a record.
      parsed = parseJsonBytes(Buffer.from(line), `line ${i + 1}`, { maxBytes: MAX_DATA_FILE_BYTES });
    } catch (err) {
      if (!(err instanceof JsonPolicyError)) throw err;
      const problem = String(err.details.problem);
      throw new BadInputError(field, `${file.path} line ${i + 1}: ${problem.startsWith('not valid JSON') ? 'not valid JSON' : problem}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new BadInputError(field, `${file.path} line ${i + 1}: expected a JSON object`);
    const problem = check(parsed as Record<string, unknown>);
    if (problem) throw new BadInputError(field, `${file.path} line ${i + 1}: ${problem}`);
    out.push(parsed as T);
  });
  if (!out.length) throw new BadInputError(field, `${file.path} has no records`);
  return out;
}
