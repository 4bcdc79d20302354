// The one JSON reading policy (src/formats/json.ts): depth counted exactly on the bytes (strings
// holding brackets and escaped quotes do not count), the 128 bound of serde_json, strict UTF-8, the
// size bound before decoding; generated documents compared with a reference depth computed on the
// parsed value (fast-check, fixed seed, printed on failure).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../../src/formats/dataFile.js';
import { JsonPolicyError, jsonDepth, MAX_JSON_DEPTH, parseJsonBytes, valueDepth } from '../../src/formats/json.js';

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261130);
const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('jsonDepth', () => {
  it('counts objects and arrays, not brackets inside strings or after escaped quotes', () => {
    expect(jsonDepth(bytes('1'))).toBe(0);
    expect(jsonDepth(bytes('{}'))).toBe(1);
    expect(jsonDepth(bytes('{"a":[{"b":[]}]}'))).toBe(4);
    expect(jsonDepth(bytes('["[[[[", "{{{"]'))).toBe(1);
    expect(jsonDepth(bytes('["\\"[[[", {"k\\\\": ["]]]"]}]'))).toBe(3);
    expect(jsonDepth(bytes('{"\\\\":"\\\\\\"[[["}'))).toBe(1);
    // Multi-byte characters never contain a quote or bracket byte.
    expect(jsonDepth(bytes('["東京[", ["🌳"]]'))).toBe(2);
  });

  it('stops just past the limit on a 1,000,000-deep document', () => {
    const t = performance.now();
    expect(jsonDepth(bytes(nested(1_000_000)), 128)).toBe(129);
    expect(performance.now() - t).toBeLessThan(500);
  });

  it('equals the depth of the parsed value, for generated documents', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => {
        const text = JSON.stringify(value);
        expect(jsonDepth(bytes(text))).toBe(valueDepth(value, Number.POSITIVE_INFINITY));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('parseJsonBytes', () => {
  const policy = { maxBytes: 1 << 20 };
  const problem = (input: Uint8Array, p: { maxBytes: number; maxDepth?: number } = policy) => {
    try {
      parseJsonBytes(input, 'tokenizer.json', p);
    } catch (err) {
      expect(err).toBeInstanceOf(JsonPolicyError);
      expect((err as JsonPolicyError).details.field).toBe('tokenizer.json');
      return (err as Error).message;
    }
    return null;
  };

  it('accepts exactly 128 levels and refuses 129, naming the file', () => {
    expect(MAX_JSON_DEPTH).toBe(128);
    expect(problem(bytes(nested(128)))).toBeNull();
    expect(problem(bytes(nested(129)))).toBe('tokenizer.json: nested more than 128 levels deep');
    expect(problem(bytes(`{"a":${nested(200_000)}}`))).toBe('tokenizer.json: nested more than 128 levels deep');
  });

  it('refuses text that is not UTF-8 (a Latin-1 byte, a lone surrogate encoded as CESU-8, an overlong slash)', () => {
    for (const bad of [
      [0x22, 0xe9, 0x22],
      [0x22, 0xed, 0xa0, 0x80, 0x22],
      [0x22, 0xc0, 0xaf, 0x22],
    ])
      expect(problem(Uint8Array.from(bad))).toBe('tokenizer.json: not UTF-8 text');
    expect(parseJsonBytes(bytes('"é"'), 'x', policy)).toBe('é');
  });

  it('refuses more bytes than the policy allows before decoding them', () => {
    expect(problem(bytes('[1, 2]'), { maxBytes: 5 })).toBe('tokenizer.json: 6 bytes is more than the 5 it may have');
    expect(problem(bytes('[1, 2]'), { maxBytes: 6 })).toBeNull();
  });

  it('says where invalid JSON breaks', () => {
    expect(problem(bytes('{"model": '))).toMatch(/^tokenizer\.json: not valid JSON \(/);
  });

  it('uses the code it is given (a checkpoint file: BAD_CHECKPOINT)', () => {
    expect(() => parseJsonBytes(bytes(nested(300)), 'config.json', { maxBytes: 1000, code: 'BAD_CHECKPOINT' })).toThrow(
      expect.objectContaining({ code: 'BAD_CHECKPOINT' }),
    );
  });
});

describe('JSONL data files (evaluation tasks) follow the policy line by line', () => {
  it('a record nested 200,000 deep is refused naming the file and the line', () => {
    const text = `{"text": "In the beginning"}\n{"text": "x", "deep": ${nested(200_000)}}\n`;
    expect(() => readJsonl({ path: 'lambada.jsonl', text, sha256: '' }, () => null)).toThrow(
      'data: lambada.jsonl line 2: nested more than 128 levels deep',
    );
    expect(() => readJsonl({ path: 'lambada.jsonl', text: '{"text": "a"}\n{"text": ', sha256: '' }, () => null)).toThrow(
      'data: lambada.jsonl line 2: not valid JSON',
    );
    expect(readJsonl({ path: 'lambada.jsonl', text: '{"text": "a"}\n\n{"text": "b"}', sha256: '' }, () => null)).toEqual([
      { text: 'a' },
      { text: 'b' },
    ]);
  });
});
