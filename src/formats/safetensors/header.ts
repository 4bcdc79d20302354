// Strict parsing of a safetensors header: every rule of the format (huggingface/safetensors and the Trail of Bits audit 2023,
// from huggingface/safetensors and the Trail of Bits audit) is checked before any tensor is read.
import { visit } from 'jsonc-parser';
import { JsonPolicyError, parseJsonBytes } from '../json.js';
import { DTYPE_BYTES, type Dtype, isDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';

export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Offsets in the file (not the buffer): [begin, end). */
  begin: number;
  end: number;
}

export interface Header {
  /** Tensors in file order (sorted by offset). */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** 8 + header length: where the byte buffer starts. */
  dataStart: number;
}

/**
 * The first key that appears twice in one object, at any depth, with the path of that object.
 * `JSON.parse` keeps the last of two equal keys silently, which would let a file show one tensor
 * (or one dtype) and hide another; the reference implementation's serde reader rejects both
 * ("duplicate field"). jsonc-parser's visitor reports every key as it is read.
 */
export function findDuplicateKey(json: string): { key: string; path: string[] } | null {
  const stack: Array<Set<string>> = [];
  const path: string[] = [];
  let found: { key: string; path: string[] } | null = null;
  visit(json, {
    onObjectBegin: () => {
      stack.push(new Set());
    },
    onObjectProperty: (key) => {
      const keys = stack[stack.length - 1];
      if (!keys || found) return;
      if (keys.has(key)) found = { key, path: path.slice(0, stack.length - 1) };
      keys.add(key);
      path[stack.length - 1] = key;
    },
    onObjectEnd: () => {
      stack.pop();
      path.length = stack.length;
    },
  });
  return found;
}

/** Product of a shape, refusing anything beyond Number.MAX_SAFE_INTEGER instead of overflowing. */
function elementCount(shape: number[]): bigint {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n;
}

export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): Header {
  // The JSON reading policy (src/formats/json.ts): strict UTF-8 and nesting bounded at serde_json's
  // 128, as the reference implementation reads the header, checked before anything walks the value
  // (a 100,000-deep `__metadata__` would overflow the stack of the duplicate-key visitor below).
  let parsed: unknown;
  try {
    parsed = parseJsonBytes(headerBytes, 'header', { maxBytes: MAX_HEADER_BYTES, code: 'BAD_CHECKPOINT' });
  } catch (err) {
    if (err instanceof JsonPolicyError) throw new SafetensorsError(file, `header is ${String(err.details.problem)}`);
    throw err;
  }
  const text = new TextDecoder('utf-8').decode(headerBytes);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError(file, 'header must be a JSON object');
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    throw duplicate.path.length === 0
      ? new SafetensorsError(file, 'duplicate tensor name in header', duplicate.key)
      : new SafetensorsError(file, `duplicate field ${JSON.stringify(duplicate.key)} in the header entry`, duplicate.path[0]);
  }

  const dataStart = 8 + headerBytes.byteLength;
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      // The format's rule: `__metadata__` is a flat map of string to string (the crate's
      // `Option<HashMap<String, String>>`), so nothing nested is kept or walked.
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SafetensorsError(file, '__metadata__ must be a flat map of string to string');
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__.${k} must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) throw new SafetensorsError(file, 'entry must be an object', name);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (!isDtype(dtype)) throw new SafetensorsError(file, `unknown dtype ${JSON.stringify(dtype)}`, name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, 'shape must be a list of non-negative integers', name);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new SafetensorsError(file, 'data_offsets must be [begin, end] with 0 <= begin <= end', name);
    }
    const expected = elementCount(shape as number[]) * BigInt(DTYPE_BYTES[dtype]);
    const actual = BigInt(offsets[1] - offsets[0]);
    if (expected !== actual) {
      throw new SafetensorsError(file, `byte size ${actual} does not match shape [${shape.join(', ')}] × ${dtype} = ${expected}`, name);
    }
    tensors.push({ name, dtype, shape: shape as number[], begin: dataStart + offsets[0], end: dataStart + offsets[1] });
  }

  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  for (const t of tensors) {
    if (t.begin !== cursor) {
      throw new SafetensorsError(
        file,
        t.begin < cursor
          ? `data overlaps the previous tensor (begins at ${t.begin - dataStart}, previous ends at ${cursor - dataStart})`
          : `gap before tensor (begins at ${t.begin - dataStart}, previous ends at ${cursor - dataStart})`,
        t.name,
      );
    }
    cursor = t.end;
  }
  if (cursor !== fileSize) {
    throw new SafetensorsError(
      file,
      cursor > fileSize
        ? `file is truncated: tensors need ${cursor} bytes, file has ${fileSize}`
        : `file has ${fileSize - cursor} bytes after the last tensor`,
    );
  }
  return { tensors, metadata, dataStart };
}

export function checkHeaderLength(file: string, length: bigint, fileSize: number): number {
  if (length > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(file, `header length ${length} exceeds the 100,000,000-byte limit`);
  if (length > BigInt(fileSize - 8))
    throw new SafetensorsError(file, `header length ${length} runs past the end of the file (${fileSize} bytes)`);
  return Number(length);
}
