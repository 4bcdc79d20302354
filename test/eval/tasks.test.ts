// Evaluation tasks on the shared model: the reference perplexity, lm-evaluation-harness semantics
// checked against the independent TypeScript forward pass, and clear errors for bad data.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambada } from '../../src/eval/lambada.js';
import { multipleChoice } from '../../src/eval/multipleChoice.js';
import { perplexity, rollingWindows } from '../../src/eval/perplexity.js';
import { evaluateCheckpoint } from '../../src/eval/run.js';
import { loadTokenizer } from '../../src/eval/tokenizer.js';
import type { EvalContext } from '../../src/eval/types.js';
import { readCheckpointFolder } from '../../src/formats/checkpoint/folder.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { referenceLogits } from '../helpers/reference.js';
import { tempDir } from '../helpers/tmp.js';

const reference = JSON.parse(readFileSync(join(sharedModel, 'reference.json'), 'utf8')) as {
  validation: { perplexity: number; tokens: number };
};
let ctx: EvalContext;
let session: LmSession;
const tmp = tempDir('bonsai-eval-');

beforeAll(async () => {
  const r = await exportOnnx(sharedModel, join(tmp, 'onnx'));
  // One thread: kjv-val.txt's perplexity is the same double at 1 and 2 threads (127.56646772587403),
  // and its 200 windows cost about 2 CPU-s less without a second thread to hand each operator to
  // (15.2 against 17.3 CPU-s, loaded 2-core VM; the suite runs two files at a time on two cores).
  session = await LmSession.open(r.modelPath, { threads: 1 });
  ctx = { session, tokenizer: loadTokenizer(sharedModel, (await readCheckpointFolder(sharedModel)).config), maxPositions: 2048 };
});
afterAll(async () => {
  await session.release();
});

function logSoftmax(row: Float64Array, id: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of row) m = Math.max(m, v);
  let z = 0;
  for (const v of row) z += Math.exp(v - m);
  return row[id]! - m - Math.log(z);
}

/** Continuation log-likelihood and greedy match from the TypeScript reference pass. */
async function referenceContinuation(context: string, continuation: string) {
  const bos = ctx.tokenizer.bos!;
  const c = [bos, ...ctx.tokenizer.encode(context)];
  const whole = [bos, ...ctx.tokenizer.encode(context + continuation)];
  const logits = await referenceLogits(sharedModel, whole.slice(0, -1));
  let ll = 0;
  let greedy = true;
  for (let p = c.length; p < whole.length; p++) {
    const row = logits[p - 1]!;
    ll += logSoftmax(row, whole[p]!);
    if (row.indexOf(Math.max(...row)) !== whole[p]) greedy = false;
  }
  return { ll, greedy };
}

describe('perplexity', () => {
  it('kjv-val.txt: reference.json’s perplexity to 2e-5 (its protocol: context reset at each window start), every token scored once', async () => {
    const [ppl] = await perplexity(ctx, { data: join(sharedDir, 'data', 'kjv-val.txt') });
    // FP32 graph against the PyTorch reference: 127.5665 vs 127.56606 (3.5e-6); borrowing context
    // for the last window gave 127.5673 (1e-5), so this bound tells the two protocols apart only
    // loosely; the window test below pins the starts exactly.
    expect(Math.abs(ppl!.value / reference.validation.perplexity - 1)).toBeLessThan(2e-5);
    expect(ppl!.settings).toMatchObject({ contextLength: 256, stride: 256, tokens: reference.validation.tokens });
    expect(ppl!.settings.datasetSha256).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it('rolling windows score targets 1..N−1 exactly once for any stride', () => {
    const tokens = Array.from({ length: 1000 }, (_, i) => i);
    for (const [ctxLen, stride] of [
      [256, 256],
      [256, 100],
      [64, 1],
      [300, 299],
    ] as const) {
      const seen: number[] = [];
      for (const [k, w] of rollingWindows(tokens, ctxLen, stride).entries()) {
        expect(w.input.length - 1).toBeLessThanOrEqual(ctxLen);
        // The context resets at each window start, k·stride − (context − stride), the last window included.
        expect(w.input[0]).toBe(Math.max(0, k * stride - (ctxLen - stride)));
        for (let p = w.scoreFrom; p < w.input.length - 1; p++) seen.push(w.input[p + 1]!);
      }
      expect(seen).toEqual(tokens.slice(1));
    }
  });
});

describe('lm-evaluation-harness tasks against the reference forward pass', () => {
  it('multiple-choice acc and acc_norm', async () => {
    const items = [
      { context: 'In the beginning God created the heaven and the', choices: ['earth.', 'sea of glass and fire'], label: 0 },
      { context: 'And God said, Let there be', choices: ['darkness upon the deep', 'light:'], label: 1 },
      { context: 'The LORD is my', choices: ['shepherd', 'table'], label: 1 },
    ];
    const file = join(tmp, 'mc.jsonl');
    writeFileSync(file, items.map((i) => JSON.stringify(i)).join('\n'));
    const [acc, accNorm] = await multipleChoice(ctx, { data: file });
    let expAcc = 0;
    let expNorm = 0;
    for (const item of items) {
      const ll = await Promise.all(item.choices.map(async (c) => (await referenceContinuation(item.context, ` ${c}`)).ll));
      const best = ll.indexOf(Math.max(...ll));
      const norm = ll.map((l, j) => l / item.choices[j]!.length);
      if (best === item.label) expAcc++;
      if (norm.indexOf(Math.max(...norm)) === item.label) expNorm++;
    }
    expect(acc!.value).toBeCloseTo(expAcc / 3, 10);
    expect(accNorm!.value).toBeCloseTo(expNorm / 3, 10);
  }, 120_000);

  it('lambada acc and perplexity', async () => {
    const texts = ['And God saw the light, that it was good', 'In the beginning God created the heaven and the earth'];
    const file = join(tmp, 'lambada.jsonl');
    writeFileSync(file, texts.map((text) => JSON.stringify({ text })).join('\n'));
    const [acc, ppl] = await lambada(ctx, { data: file });
    const refs = await Promise.all(
      texts.map((t) => referenceContinuation(t.slice(0, t.lastIndexOf(' ')), ` ${t.slice(t.lastIndexOf(' ') + 1)}`)),
    );
    expect(acc!.value).toBe(refs.filter((r) => r.greedy).length / 2);
    expect(ppl!.value).toBeCloseTo(Math.exp(-(refs[0]!.ll + refs[1]!.ll) / 2), 2);
  }, 120_000);
});

describe('bad input', () => {
  const run = (task: 'perplexity' | 'lambada' | 'multiple-choice', data: string, extra: Record<string, number> = {}) =>
    evaluateCheckpoint(sharedModel, { task, data, ...extra }, { cacheDir: join(tmp, 'cache'), threads: 1 });
  const write = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };

  it('names the problem: missing file, empty text, malformed line, label out of range, context too long', async () => {
    await expect(run('perplexity', join(tmp, 'nope.txt'))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/does not exist/),
    });
    await expect(run('perplexity', write('empty.txt', '  \n\n'))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/is empty/),
    });
    const latin1 = join(tmp, 'latin1.txt');
    writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await expect(run('perplexity', latin1)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/is not UTF-8 text/),
    });
    await expect(run('lambada', write('bad.jsonl', '{"text": "a b"}\n{oops'))).rejects.toMatchObject({
      message: expect.stringMatching(/line 2: not valid JSON/),
    });
    await expect(run('multiple-choice', write('label.jsonl', '{"context": "x", "choices": ["a", "b"], "label": 2}'))).rejects.toMatchObject(
      {
        message: expect.stringMatching(/line 1: "label" must be an index into choices \(0 to 1\)/),
      },
    );
    await expect(run('perplexity', join(sharedDir, 'data', 'kjv-val.txt'), { contextLength: 4096 })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/contextLength: 4096 is longer than the model's max_position_embeddings \(2048\)/),
    });
  });
});
