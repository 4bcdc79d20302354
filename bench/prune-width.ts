// Benchmark: 40 % MLP width pruning of a generated ~1 GB BF16 Llama-style checkpoint against
// `cp -r` of the same folder in the same run, and peak RSS of the pruning process.
// Targets (issue 4): time ≤ 2× cp; peak RSS ≤ largest tensor × 3 + 300 MB.
//   npm run bench:prune
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prune } from '../src/pruning/engine.js';
import { parseRecipe } from '../src/pruning/recipe.js';
import { generatedLlama1GB } from '../test/fixtures/configs.js';
import { writeRandomCheckpoint } from './randomCheckpoint.js';

const MB = 1024 * 1024;
const config = generatedLlama1GB;

async function generate(dir: string): Promise<number> {
  if (!existsSync(join(dir, 'config.json'))) process.stderr.write(`writing a checkpoint to ${dir}\n`);
  return writeRandomCheckpoint(dir, config, { maxShardBytes: 512 * MB });
}

async function child(src: string, dst: string): Promise<void> {
  const t = performance.now();
  await prune(src, dst, parseRecipe({ method: 'mlp-width', pruningFraction: 0.4 }), { maxShardBytes: 512 * MB });
  process.stdout.write(JSON.stringify({ seconds: (performance.now() - t) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

async function main(): Promise<void> {
  const base = process.env.BENCH_DIR ?? tmpdir();
  const src = join(base, 'bonsai-bench-prune-src');
  const largest = await generate(src);
  const dst = join(base, 'bonsai-bench-prune-out');
  const copy = join(base, 'bonsai-bench-prune-cp');
  const cps: number[] = [];
  const runs: Array<{ seconds: number; maxRssBytes: number }> = [];
  for (let i = 0; i < 3; i++) {
    rmSync(copy, { recursive: true, force: true });
    const t = performance.now();
    if (spawnSync('cp', ['-r', src, copy]).status !== 0) throw new Error('cp failed');
    cps.push((performance.now() - t) / 1000);
    rmSync(dst, { recursive: true, force: true });
    const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', src, dst], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    runs.push(JSON.parse(r.stdout));
  }
  rmSync(copy, { recursive: true, force: true });
  rmSync(dst, { recursive: true, force: true });
  const cp = Math.min(...cps);
  const t = Math.min(...runs.map((r) => r.seconds));
  const rss = Math.max(...runs.map((r) => r.maxRssBytes));
  const limit = 3 * largest + 300 * MB;
  console.log(
    `40 % MLP width pruning of a ${config.num_hidden_layers}-layer BF16 checkpoint (largest tensor ${(largest / MB).toFixed(0)} MB)`,
  );
  console.log(`  cp -r baseline   ${cp.toFixed(3)} s`);
  console.log(`  bonsai prune     ${t.toFixed(3)} s   ratio ${(t / cp).toFixed(2)}× (target ≤ 2×)  ${t / cp <= 2 ? 'PASS' : 'FAIL'}`);
  console.log(
    `  peak RSS         ${(rss / MB).toFixed(0)} MB   limit ${(limit / MB).toFixed(0)} MB  ratio ${(rss / limit).toFixed(2)}  ${rss <= limit ? 'PASS' : 'FAIL'}`,
  );
  if (t / cp > 2 || rss > limit) process.exitCode = 1;
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
else await main();
