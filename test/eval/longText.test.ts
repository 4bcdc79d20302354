// One very long line (issue 26: a calibration file with a single 500,000-token line overflowed
// the stack, "Maximum call stack size exceeded", and was retried as if it could pass). Pieces cut
// at spaces give the same ids as the whole line for SentencePiece (Llama-2) and byte-level BPE
// (Qwen3) tokenizers; calibration takes what it needs without encoding the rest.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { calibrationTokens } from '../../src/calibration/tokens.js';
import { longTextEncoder, PIECE_CHARS } from '../../src/eval/longText.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

const read = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const words = readFileSync(join(sharedDir, 'data', 'kjv-train.txt'), 'utf8')
  .split(/\s+/)
  .filter(Boolean);
/** `n` words of the King James Bible on one line. */
const oneLine = (n: number) => Array.from({ length: n }, (_, i) => words[i % words.length]).join(' ');

describe('long lines', () => {
  it.each([
    ['Llama-2 SentencePiece BPE', sharedModel],
    ['Qwen3 byte-level BPE', join(sharedDir, 'tokenizers', 'qwen3')],
  ])('%s: a line of three pieces encodes to the same ids as the whole line', (_, dir) => {
    const tok = new Tokenizer(read(dir, 'tokenizer.json'), read(dir, 'tokenizer_config.json'));
    const raw = (t: string) => tok.encode(t, { add_special_tokens: false }).ids as number[];
    const text = oneLine(2_500);
    expect(text.length).toBeGreaterThan(2 * PIECE_CHARS);
    expect(longTextEncoder(raw)(text)).toEqual(raw(text));
    // Stopping early gives a prefix of the same ids.
    const first = longTextEncoder(raw)(text, 100);
    expect(first.length).toBeGreaterThanOrEqual(100);
    expect(first.length).toBeLessThan(raw(text).length);
    expect(first).toEqual(raw(text).slice(0, first.length));
  });

  it('calibration over a file of one 500,000-token line: the first samples, within seconds (it overflowed the stack)', () => {
    const file = join(tempDir('bonsai-longline-'), 'one-line.txt');
    writeFileSync(file, `${oneLine(600_000)}\n`);
    const config = read(sharedModel, 'config.json');
    const started = performance.now();
    const tokens = calibrationTokens(sharedModel, config, file, 2_048);
    expect(tokens).toHaveLength(2_048);
    expect(tokens[0]).toBe(config.bos_token_id);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
