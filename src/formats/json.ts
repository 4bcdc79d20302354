// One JSON reading policy for every file Bonsai reads and every request body it accepts: a size
// bound checked before a byte is decoded, strict UTF-8, and a nesting bound checked before the text
// is parsed. V8's JSON.parse itself copes with deep nesting, but everything after it that walks the
// value recursively (structuredClone, JSON.stringify, zod, Prisma's JSON columns, the tokenizer
// library) overflows the stack on a 100,000-deep value. The bound is serde_json's default
// recursion limit (128, serde_json's `remaining_depth`): the tokenizers and safetensors crates
// read their files with serde_json, so nothing deeper loads in transformers either.
import { BonsaiError, type ErrorCode } from '../errors.js';

/** serde_json's default recursion limit, which the tokenizers and safetensors crates inherit. */
export const MAX_JSON_DEPTH = 128;

export class JsonPolicyError extends BonsaiError {
  constructor(what: string, problem: string, code: ErrorCode = 'BAD_USER_INPUT') {
    super(code, `${what}: ${problem}`, { field: what, problem });
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of objects and arrays in JSON text, stopping as soon as it passes `limit`
 * (so a hostile file costs one pass at most). Works on UTF-8 bytes: a multi-byte sequence never
 * contains `"`, `\`, brackets or braces, so strings are skipped exactly.
 */
export function jsonDepth(bytes: Uint8Array, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

export interface JsonPolicy {
  /** Bytes the text may have; larger is refused before it is decoded. */
  maxBytes: number;
  /**
   * Nesting of objects and arrays (default MAX_JSON_DEPTH). Infinity: no bound, and no pass over the
   * text to measure it (for a caller that bounded the nesting itself just before).
   */
  maxDepth?: number;
  /** The error code for a violation (a checkpoint file: BAD_CHECKPOINT). */
  code?: ErrorCode;
}

/**
 * Decodes and parses JSON text under the policy; `what` names the file or field in every error.
 * Strict UTF-8, as serde_json and Python's json.load (on bytes) require.
 */
export function parseJsonBytes(bytes: Uint8Array, what: string, policy: JsonPolicy): unknown {
  const code = policy.code ?? 'BAD_USER_INPUT';
  if (bytes.length > policy.maxBytes)
    throw new JsonPolicyError(
      what,
      `${bytes.length.toLocaleString('en-US')} bytes is more than the ${policy.maxBytes.toLocaleString('en-US')} it may have`,
      code,
    );
  const maxDepth = policy.maxDepth ?? MAX_JSON_DEPTH;
  if (maxDepth !== Number.POSITIVE_INFINITY && jsonDepth(bytes, maxDepth) > maxDepth)
    throw new JsonPolicyError(what, `nested more than ${maxDepth} levels deep`, code);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new JsonPolicyError(what, 'not UTF-8 text', code);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JsonPolicyError(what, `not valid JSON (${(err as Error).message})`, code);
  }
}

/** The deepest nesting of an already-parsed value (a request's variables), stopping past `limit`. */
export function valueDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  // Iterative: the value may be the deep thing we guard against.
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return deepest;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (child !== null && typeof child === 'object') stack.push([child, depth]);
  }
  return deepest;
}
