// Variables nested deeper than the JSON policy allows (src/formats/json.ts: serde_json's 128
// levels) are refused before anything walks them. express.json (V8's JSON.parse) builds a
// 10,000-deep value without complaint, but what comes next recurses over it: coalesce.ts's
// JSON.stringify, the NUL check, the JSON scalar's consumers (zod, Prisma's JSON columns), and a
// RangeError from any of them was a 500. The check is one bounded, iterative walk (valueDepth).
import { jsonDepth, MAX_JSON_DEPTH, valueDepth } from '../src/formats/json.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The first part of a GraphQL request nested more than MAX_JSON_DEPTH levels: `$name` for a
 * variable, the body's key (`extensions`) for anything else; null when nothing is.
 */
export function tooDeepPart(body: unknown): string | null {
  // One bounded walk of the whole request: within bounds (the usual case) it costs only that.
  if (valueDepth(body, MAX_JSON_DEPTH + 1) <= MAX_JSON_DEPTH + 1) return null;
  if (!isObject(body)) return 'the request body';
  for (const [key, value] of Object.entries(body)) {
    if (key === 'variables' && isObject(value)) {
      for (const [name, v] of Object.entries(value)) if (valueDepth(v) > MAX_JSON_DEPTH) return `$${name}`;
    } else if (valueDepth(value) > MAX_JSON_DEPTH) return key;
  }
  return null;
}

/**
 * The most a query document may nest its braces and brackets together: a selection
 * depth of 12 (limits.ts) around a JSON literal of 128 levels fits twice over. graphql-js's parser
 * recurses once per level, so a 10,000-deep literal ended in "Maximum call stack size exceeded";
 * the text is scanned first, as jsonDepth scans JSON (strings skipped). A `#` comment is scanned as
 * text: its brackets can only over-count, and a quote in it could hide nesting from the scan, where
 * the parser's overflow remains the backstop (Apollo answers it 400 GRAPHQL_PARSE_FAILED).
 */
export const MAX_QUERY_NESTING = 2 * MAX_JSON_DEPTH;

export function queryTooDeep(query: unknown): boolean {
  return typeof query === 'string' && jsonDepth(Buffer.from(query), MAX_QUERY_NESTING) > MAX_QUERY_NESTING;
}

/**
 * The most fragments a document may define. graphql-js's validation (NoFragmentCycles, the
 * depth rule) follows spreads recursively, once per fragment in a chain, so a chain of 2,000
 * fragments (72 KB, within the token limit and the nesting scan) overflowed the stack. The
 * catalog's largest query defines none; a hundred is more than any client writes by hand.
 */
export const MAX_FRAGMENTS = 100;

/** Fragment definitions in the text (`fragment Name on`), counted without parsing it. */
export function fragmentCount(query: unknown): number {
  return typeof query === 'string' ? (query.match(/\bfragment\s+[_A-Za-z][_0-9A-Za-z]*\s+on\b/g)?.length ?? 0) : 0;
}

export const tooDeepMessage = (part: string) =>
  `${part}: nested more than ${MAX_JSON_DEPTH} levels deep (the limit of every JSON Bonsai reads, serde_json's)`;
