// Training-free recovery (issue 19). Two parts:
//  1. quality: perplexity on kjv-val.txt of the shared model pruned by magnitude, Wanda and
//     SparseGPT at 50 % and 2:4, and by MLP width 20 % and 40 % with and without the
//     least-squares refit of down_proj, and by depth (blocks 2 and 4, the ones both depth criteria
//     choose; and the last two) with and without the linear stand-in (calibration: 2,048 tokens of
//     kjv-train.txt);
//  2. speed and memory: SparseGPT 50 % on a generated ≈ 110 M-parameter Llama, each run in a
//     process of its own for its peak RSS, against Wanda 50 % on the same model (the baseline);
//  3. the Pareto table (bench/pareto.ts): perplexity against parameters for every method at
//     about 10/20/30 % fewer parameters and Wanda/SparseGPT with and without OWL at 50/60/70 %, on
//     the shared model and on a generated ≈ 125 M Llama with grouped-query attention.
//   npm run bench:recovery [-- --only width | --pareto [shared|generated] [--only TEXT]]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRecipe } from '../src/pruning/calibrate.js';
import { prune } from '../src/pruning/engine.js';
import { needsCalibration } from '../src/pruning/methods/index.js';
import { parseRecipe } from '../src/pruning/recipe.js';
import { buildCheckpoint, sharedDir, sharedModel } from '../test/fixtures/checkpoints.js';
import { generatedLlama110m } from '../test/fixtures/configs.js';
import { paretoTable, ppl } from './pareto.js';

const threads = availableParallelism();
const calibration = join(sharedDir, 'data', 'kjv-train.txt');

async function pruned(parent: string, out: string, raw: Record<string, unknown>, tmp: string) {
  const calibrated =
    raw.criterion === 'wanda' || raw.criterion === 'sparsegpt' || raw.reconstruct === 'least-squares' || raw.reconstruct === 'linear';
  const recipe = parseRecipe(calibrated ? { ...raw, calibration } : raw);
  const resolved = needsCalibration(recipe)
    ? await resolveRecipe(parent, recipe, { cacheDir: join(tmp, 'cache'), threads, tmp: join(tmp, `cal-${Date.now()}`) })
    : { recipe };
  const { reconstruction } = await prune(parent, out, resolved.recipe, {
    inputNorms: resolved.inputNorms,
    weights: resolved.weights,
    gramFiles: resolved.gramFiles,
    reconstruction: resolved.reconstruction,
  });
  // The held-out check (src/pruning/heldOut.ts): how many layers (spans) kept the recovery.
  return reconstruction ? `${reconstruction.layers.filter((l) => l.applied).length} of ${reconstruction.layers.length}` : '—';
}

/** Child process: one method on one model; prints { seconds, maxRssBytes }. */
async function one(method: string, parent: string, out: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-recovery-one-'));
  try {
    const t = performance.now();
    await pruned(parent, out, { method: 'sparsity', criterion: method, sparsity: 0.5 }, tmp);
    process.stdout.write(JSON.stringify({ seconds: (performance.now() - t) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const VARIANTS: Array<[string, Record<string, unknown>]> = [
  ['magnitude 50 %', { method: 'sparsity', criterion: 'magnitude', sparsity: 0.5 }],
  ['Wanda 50 %', { method: 'sparsity', criterion: 'wanda', sparsity: 0.5 }],
  ['SparseGPT 50 %', { method: 'sparsity', criterion: 'sparsegpt', sparsity: 0.5 }],
  ['magnitude 2:4', { method: 'sparsity', criterion: 'magnitude', pattern: '2:4' }],
  ['Wanda 2:4', { method: 'sparsity', criterion: 'wanda', pattern: '2:4' }],
  ['SparseGPT 2:4', { method: 'sparsity', criterion: 'sparsegpt', pattern: '2:4' }],
  ['width 20 %', { method: 'mlp-width', pruningFraction: 0.2 }],
  ['width 20 % + least-squares refit', { method: 'mlp-width', pruningFraction: 0.2, reconstruct: 'least-squares' }],
  ['width 40 %', { method: 'mlp-width', pruningFraction: 0.4 }],
  ['width 40 % + least-squares refit', { method: 'mlp-width', pruningFraction: 0.4, reconstruct: 'least-squares' }],
  ['depth −2 (blocks 2, 4)', { method: 'depth', layers: [2, 4] }],
  ['depth −2 (blocks 2, 4) + linear stand-in', { method: 'depth', layers: [2, 4], reconstruct: 'linear' }],
  ['depth −2 (last two)', { method: 'depth', last: 2 }],
  ['depth −2 (last two) + linear stand-in', { method: 'depth', last: 2, reconstruct: 'linear' }],
];

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-recovery-'));
  try {
    console.log(`shared model, perplexity on kjv-val.txt (calibration: 2,048 tokens of kjv-train.txt), ${threads} threads`);
    console.log('| model | perplexity | ratio to dense | recovery kept (held-out check) |');
    console.log('|---|---:|---:|---|');
    const dense = await ppl(sharedModel, tmp);
    console.log(`| dense | ${dense.toFixed(2)} | 1.00× | — |`);
    for (const [label, raw] of VARIANTS.filter(([l]) => only === undefined || l.includes(only))) {
      const out = join(tmp, label.replace(/[^a-z0-9]+/gi, '-'));
      const kept = await pruned(sharedModel, out, raw, tmp);
      const p = await ppl(out, tmp);
      console.log(`| ${label} | ${p.toFixed(3)} | ${(p / dense).toFixed(3)}× | ${kept} |`);
      rmSync(out, { recursive: true, force: true });
    }
    if (only !== undefined) return;

    const big = join(tmp, 'big');
    await buildCheckpoint('llama', big, {
      config: generatedLlama110m,
    });
    const run = (method: string) =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', process.argv[1]!, '--one', method, big, join(tmp, `big-${method}`)], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      ) as { seconds: number; maxRssBytes: number };
    const wanda = run('wanda');
    const sgpt = run('sparsegpt');
    const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
    console.log(
      `generated llama (≈ 110 M, BF16) 50 %: SparseGPT ${sgpt.seconds.toFixed(1)} s, peak RSS ${mb(sgpt.maxRssBytes)}; ` +
        `Wanda ${wanda.seconds.toFixed(1)} s, peak RSS ${mb(wanda.maxRssBytes)} → ratio ${(sgpt.seconds / wanda.seconds).toFixed(2)}× (both with calibration on 2,048 tokens)`,
    );
    await pareto('both');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The generated model has random weights (no model of that size can be downloaded here), so its
 * perplexity stays near the vocabulary size whatever is removed: its rows show that every method
 * runs at that size and how each counts parameters, not which is better. Four key/value groups of
 * three query heads, so query heads and query groups are different units (the shared model has
 * one head per group). Perplexity on its first 4,096 validation tokens.
 */
async function pareto(which: string): Promise<void> {
  if (which !== 'generated') await paretoTable('shared model (tiny-llama-kjv)', sharedModel, { only });
  if (which === 'shared') return;
  const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-pareto-model-'));
  try {
    const dir = join(tmp, 'gqa');
    await buildCheckpoint('llama', dir, { config: { ...generatedLlama110m, num_key_value_heads: 4 } });
    await paretoTable('generated llama (≈ 125 M, GQA 12 heads in 4 groups, random BF16 weights)', dir, {
      limit: 4096,
      note: 'random weights: perplexity near the vocabulary size whatever is removed',
      only,
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// `--only TEXT`: the quality rows whose label contains TEXT, without the speed part.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
const at = process.argv.indexOf('--one');
const paretoAt = process.argv.indexOf('--pareto');
if (at > 0) await one(process.argv[at + 1]!, process.argv[at + 2]!, process.argv[at + 3]!);
else if (paretoAt > 0) await pareto(process.argv[paretoAt + 1] ?? 'both');
else await main();
