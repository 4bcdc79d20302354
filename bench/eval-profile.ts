// Where evaluation time goes (issue 20): onnxruntime's own profiler on the perplexity task, for the
// graph evaluation uses (fused CPU operators) and the plain-operator graph before it, on the shared
// model and a generated ≈ 110 M-parameter Llama. Prints each graph's kernel time by operator, the
// share of matrix products, their GFLOP/s, and the bound that share puts on any graph change that
// leaves the matrix products as they are: total time ÷ matrix-product time of the plain graph.
//   npm run bench:eval-profile
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { perplexity } from '../src/eval/perplexity.js';
import { loadTokenizer } from '../src/eval/tokenizer.js';
import type { EvalContext } from '../src/eval/types.js';
import { readCheckpointFolder } from '../src/formats/checkpoint/folder.js';
import { type ExportOptions, exportOnnx } from '../src/onnx/export.js';
import { LmSession } from '../src/onnx/session.js';
import { buildCheckpoint, sharedDir, sharedModel } from '../test/fixtures/checkpoints.js';
import { generatedLlama110m } from '../test/fixtures/configs.js';

const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-profile-'));
const data = join(sharedDir, 'data', 'kjv-val.txt');
const threads = Number(process.env.BENCH_THREADS ?? Math.min(2, availableParallelism()));
const MATMUL = new Set(['Gemm', 'MatMul', 'FusedMatMul', 'FusedGemm']);

/** A chrome-trace event of onnxruntime's profiler: one per node run, with its kernel time in µs. */
interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

async function profile(dir: string, label: string, options: ExportOptions, tokens: number) {
  const { modelPath } = await exportOnnx(dir, join(tmp, label), options);
  const prefix = join(tmp, `${label}-trace`);
  const s = await LmSession.open(modelPath, { threads, profile: prefix });
  const ctx: EvalContext = { session: s, tokenizer: loadTokenizer(dir, (await readCheckpointFolder(dir)).config), maxPositions: 2048 };
  const started = performance.now();
  const [ppl] = await perplexity(ctx, { data, limit: tokens });
  const seconds = (performance.now() - started) / 1000;
  s.endProfiling();
  await s.release();
  const file = readdirSync(tmp).find((f) => f.startsWith(`${label}-trace`) && f.endsWith('.json'));
  if (!file) throw new Error(`onnxruntime wrote no profile for ${label}`);
  const events = JSON.parse(readFileSync(join(tmp, file), 'utf8')) as TraceEvent[];
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  const matmul = [...byOp].filter(([op]) => MATMUL.has(op)).reduce((a, [, d]) => a + d, 0);
  return { byOp, total, matmul, tokens: Number(ppl!.settings.tokens), seconds };
}

async function report(label: string, dir: string, tokens: number, parameters: number) {
  const plain = await profile(dir, `${label}-plain`, { graph: 'reference' }, tokens);
  const fused = await profile(dir, `${label}-fused`, { outputs: ['target_logprobs'] }, tokens);
  for (const [name, p] of [
    ['plain-operator graph', plain],
    ['fused graph', fused],
  ] as const) {
    const top = [...p.byOp]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([op, d]) => `${op} ${((100 * d) / p.total).toFixed(1)} %`)
      .join(', ');
    // Multiply-adds per token ≈ the parameters of every matrix product (the embedding lookup is none).
    const gflops = (2 * parameters * p.tokens) / (p.matmul / 1e6) / 1e9;
    console.log(
      `${label}, ${name}: ${(p.tokens / p.seconds).toFixed(0)} tokens/s with the profiler on; kernel time ${(p.total / 1e6).toFixed(2)} s — ${top}; ` +
        `matrix products ${((100 * p.matmul) / p.total).toFixed(1)} % at ≈ ${gflops.toFixed(0)} GFLOP/s`,
    );
  }
  console.log(
    `${label}: a graph that keeps these matrix products can be at most ${(plain.total / plain.matmul).toFixed(2)}× the plain graph ` +
      `(its total kernel time ÷ its matrix-product time); the fused graph's kernel time is ${(plain.total / fused.total).toFixed(2)}× shorter`,
  );
}

try {
  console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, ${threads} threads`);
  // Shared model: 6 blocks of 4·192² + 3·192·512 projections, and the 192 × 32,000 head.
  await report('tiny-llama-kjv (8.8 M)', sharedModel, 8192, 6 * (4 * 192 * 192 + 3 * 192 * 512) + 192 * 32000);
  const big = join(tmp, 'big');
  await buildCheckpoint('llama', big, { config: generatedLlama110m });
  await report('generated llama (≈ 110 M)', big, 2048, 12 * (4 * 768 * 768 + 3 * 768 * 2048) + 768 * 32000);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
