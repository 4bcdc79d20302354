// `bonsai eval DIR --task …` and `bonsai export-onnx DIR OUT`.
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { BadInputError } from '../errors.js';
import { resultsFileFor, saveLocalResults } from '../eval/localResults.js';
import { type EvalRequest, evaluateCheckpoint } from '../eval/run.js';
import { exportOnnx } from '../onnx/export.js';
import { EVAL_TASKS } from '../registry/payloads.js';

export interface EvalFlags {
  task: string;
  data?: string;
  contextLength?: number;
  stride?: number;
  limit?: number;
  parent?: string;
  json?: boolean;
  /** Where to keep the results (default: Bonsai's data folder, where `bonsai card DIR` finds them). */
  output?: string;
}

export async function evalCommand(dir: string, f: EvalFlags): Promise<void> {
  if (!(EVAL_TASKS as readonly string[]).includes(f.task)) throw new BadInputError('--task', `must be one of ${EVAL_TASKS.join(', ')}`);
  if (f.task === 'embedding-similarity' && !f.parent)
    throw new BadInputError('--parent', 'is required for embedding-similarity (the folder to compare with)');
  const config = loadConfig();
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: '{stage} [{bar}] {percentage}%', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(100, 0, { stage: 'export' });
  const started = performance.now();
  const results = await evaluateCheckpoint(
    dir,
    { task: f.task as EvalRequest['task'], data: f.data, contextLength: f.contextLength, stride: f.stride, limit: f.limit },
    {
      cacheDir: join(config.home, 'onnx-cache'),
      threads: config.threads,
      parentDir: f.parent ? resolve(f.parent) : undefined,
      onProgress: (stage, fraction) => bar?.update(Math.round(fraction * 100), { stage }),
    },
  );
  bar?.update(100);
  bar?.stop();
  // Speed depends on the machine, not the checkpoint: only quality results describe the model.
  // Never into the folder evaluated: it is the user's input.
  if (f.task !== 'speed') {
    const file = f.output ? resolve(f.output) : resultsFileFor(config.home, dir);
    await saveLocalResults(file, dir, results).then(
      () => process.stderr.write(`bonsai: results kept in ${file}\n`),
      (err: Error) => process.stderr.write(`bonsai: could not write ${file} (${err.message}); the card will not show these results\n`),
    );
  }
  if (f.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    process.stdout.write(
      `${r.task.padEnd(16)} ${r.metric.padEnd(26)} ${r.value.toPrecision(6)}${r.stderr !== undefined ? ` ± ${r.stderr.toPrecision(3)}` : ''}\n`,
    );
  }
  const s = results[0]?.settings ?? {};
  process.stdout.write(
    `settings: ${Object.entries(s)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ')} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
}

export async function exportOnnxCommand(dir: string, out: string, opts: { activations?: boolean; fused?: boolean }): Promise<void> {
  const r = await exportOnnx(dir, out, { activations: opts.activations, graph: opts.fused ? 'fused' : 'reference' });
  process.stdout.write(
    `wrote ${r.modelPath} (${(r.weightBytes / 1e6).toFixed(1)} MB of FP32 weights in ${join(out, 'model.onnx_data')})\n`,
  );
}
