// Benchmark of the perplexity task (issue 6): tokens per second on the shared model and on a
// generated ~110 M-parameter Llama, the share of the time spent inside session.run, against the
// plain TypeScript forward pass (test/helpers/reference.ts) on the same machine.
//   npm run bench:eval
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { perplexity } from '../src/eval/perplexity.js';
import { loadTokenizer } from '../src/eval/tokenizer.js';
import type { EvalContext } from '../src/eval/types.js';
import { readCheckpointFolder } from '../src/formats/checkpoint/folder.js';
import { exportOnnx } from '../src/onnx/export.js';
import { LmSession } from '../src/onnx/session.js';
import { buildCheckpoint, sharedDir, sharedModel } from '../test/fixtures/checkpoints.js';
import { referenceLogits } from '../test/helpers/reference.js';

const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-eval-'));
const data = join(sharedDir, 'data', 'kjv-val.txt');
const threads = availableParallelism();

async function measure(label: string, dir: string, tokens: number, referenceTokens: number) {
  const { modelPath } = await exportOnnx(dir, join(tmp, `${label}-onnx`));
  const session = await LmSession.open(modelPath, { threads });
  let inRun = 0;
  const timed = {
    run: async (...args: Parameters<LmSession['run']>) => {
      const t = performance.now();
      try {
        return await session.run(...args);
      } finally {
        inRun += performance.now() - t;
      }
    },
  } as unknown as LmSession;
  const ctx: EvalContext = { session: timed, tokenizer: loadTokenizer(dir, (await readCheckpointFolder(dir)).config), maxPositions: 2048 };
  const started = performance.now();
  const [ppl] = await perplexity(ctx, { data, limit: tokens });
  const total = performance.now() - started;
  await session.release();
  const scored = Number(ppl!.settings.tokens);
  const ortRate = scored / (total / 1000);
  // The reference pass is quadratic-free but naive: a short sequence is enough for its rate.
  const ids = Array.from({ length: referenceTokens }, (_, i) => 1 + ((i * 37) % 1000));
  const t = performance.now();
  await referenceLogits(dir, ids);
  const refRate = referenceTokens / ((performance.now() - t) / 1000);
  console.log(
    `${label}: onnxruntime ${ortRate.toFixed(0)} tokens/s (${scored} tokens, ${((100 * inRun) / total).toFixed(0)} % inside session.run), ` +
      `TypeScript reference ${refRate.toFixed(1)} tokens/s (${referenceTokens} tokens) → ${(ortRate / refRate).toFixed(0)}× faster`,
  );
}

try {
  await measure('tiny-llama-kjv (8.8 M)', sharedModel, 20_000, 64);
  const big = join(tmp, 'big');
  await buildCheckpoint('llama', big, {
    config: {
      hidden_size: 768,
      intermediate_size: 2048,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      num_key_value_heads: 12,
      head_dim: 64,
    },
  });
  await measure('generated llama (≈ 110 M)', big, 4096, 16);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
