// Benchmark of evaluation speed (issue 20): the perplexity task on the shared model and on a
// generated ≈ 110 M-parameter Llama, through the graph evaluation uses now (onnxruntime's fused
// CPU operators; only the head output the task reads) beside the plain-operator graph that was
// used before (`graph: 'reference'`, all three head outputs), in the same run, with the same
// windows; the two perplexities must agree to 1e-5 relative. Then the speed task (prefill tokens/s
// at 256 tokens, per-token latency at batch 1) on the new graph.
//   npm run bench:eval
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { perplexity } from '../src/eval/perplexity.js';
import { speed } from '../src/eval/speed.js';
import { loadTokenizer } from '../src/eval/tokenizer.js';
import type { EvalContext } from '../src/eval/types.js';
import { readCheckpointFolder } from '../src/formats/checkpoint/folder.js';
import { type ExportOptions, exportOnnx } from '../src/onnx/export.js';
import { LmSession } from '../src/onnx/session.js';
import { buildCheckpoint, sharedDir, sharedModel } from '../test/fixtures/checkpoints.js';
import { generatedLlama110m } from '../test/fixtures/configs.js';

const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-eval-'));
const data = join(sharedDir, 'data', 'kjv-val.txt');
const threads = Number(process.env.BENCH_THREADS ?? Math.min(2, availableParallelism()));

async function session(dir: string, label: string, options: ExportOptions) {
  const { modelPath } = await exportOnnx(dir, join(tmp, label), options);
  return LmSession.open(modelPath, { threads });
}

async function rate(dir: string, label: string, options: ExportOptions, tokens: number) {
  const s = await session(dir, label, options);
  try {
    const ctx: EvalContext = { session: s, tokenizer: loadTokenizer(dir, (await readCheckpointFolder(dir)).config), maxPositions: 2048 };
    await perplexity(ctx, { data, limit: 512 }); // warm-up: first runs allocate and prepack
    const started = performance.now();
    const [ppl] = await perplexity(ctx, { data, limit: tokens });
    const seconds = (performance.now() - started) / 1000;
    return { tokensPerSecond: Number(ppl!.settings.tokens) / seconds, perplexity: ppl!.value };
  } finally {
    await s.release();
  }
}

async function measure(label: string, dir: string, tokens: number) {
  const before = await rate(dir, `${label}-reference`, { graph: 'reference' }, tokens);
  const after = await rate(dir, `${label}-fused`, { outputs: ['target_logprobs'] }, tokens);
  const drift = Math.abs(after.perplexity - before.perplexity) / before.perplexity;
  console.log(
    `${label}, perplexity over ${tokens} tokens of kjv-val, windows of 256, ${threads} threads: ` +
      `fused graph ${after.tokensPerSecond.toFixed(0)} tokens/s; plain-operator graph ${before.tokensPerSecond.toFixed(0)} tokens/s ` +
      `→ ratio ${(after.tokensPerSecond / before.tokensPerSecond).toFixed(2)}×; perplexity ${after.perplexity.toFixed(4)} vs ${before.perplexity.toFixed(4)} ` +
      `(relative difference ${drift.toExponential(1)}, ${drift <= 1e-5 ? 'within' : 'OUTSIDE'} 1e-5)`,
  );
  const s = await session(dir, `${label}-speed`, { outputs: ['greedy'] });
  try {
    const ctx: EvalContext = { session: s, tokenizer: loadTokenizer(dir, (await readCheckpointFolder(dir)).config), maxPositions: 2048 };
    const r = await speed(ctx, { contextLength: 256, threads });
    const v = (m: string) => r.find((x) => x.metric === m)!.value;
    console.log(
      `${label}, speed task: prefill ${v('prefill_tokens_per_second').toFixed(0)} tokens/s at 256 tokens, per-token latency ${v('latency_ms').toFixed(2)} ms (batch 1)`,
    );
  } finally {
    await s.release();
  }
}

try {
  await measure('tiny-llama-kjv (8.8 M)', sharedModel, 20_000);
  const big = join(tmp, 'big');
  await buildCheckpoint('llama', big, {
    config: generatedLlama110m,
  });
  await measure('generated llama (≈ 110 M)', big, 4096);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
