// Variables nested deeper than the JSON policy allows (src/formats/json.ts: serde_json's 128
// levels) are refused before anything walks them. express.json (V8's JSON.parse) builds a
// 10,000-deep value without complaint, but what comes next recurses over it: coalesce.ts's
// JSON.stringify, the NUL check, the JSON scalar's consumers (zod, Prisma's JSON columns), and a
// RangeError from any of them was a 500. The check is one bounded, iterative walk (valueDepth).
import type { RequestHandler } from 'express';
import { MAX_JSON_DEPTH, valueDepth } from '../src/formats/json.js';
import { sendError } from './http/errors.js';

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

export const tooDeepMessage = (part: string) =>
  `${part}: nested more than ${MAX_JSON_DEPTH} levels deep (the limit of every JSON Bonsai reads, serde_json's)`;

/** After express.json, before anything reads the body (coalesce.ts, Apollo): 400 BAD_USER_INPUT naming the variable. */
export function boundVariableDepth(): RequestHandler {
  return (req, res, next) => {
    const part = tooDeepPart(req.body);
    if (!part) return next();
    sendError(res, { status: 400, code: 'BAD_USER_INPUT', message: tooDeepMessage(part), details: { field: part } });
  };
}
