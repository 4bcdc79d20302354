// Benchmark: streaming read of a ~1 GB sharded checkpoint against `cat` of the same files in the
// same run, and the reader's peak RSS. Targets (issue 3): time ≤ 1.5× cat; peak RSS ≤ largest
// tensor × 2 + 200 MB.
//   npm run bench:safetensors            (BENCH_SIZE_MB=1024 by default)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointTensors } from '../src/formats/checkpoint/tensors.js';
import { writeTensors } from '../src/formats/checkpoint/writeTensors.js';
import type { TensorSpec } from '../src/formats/safetensors/writer.js';

const MB = 1024 * 1024;

async function child(dir: string): Promise<void> {
  const started = performance.now();
  let wholeSeconds = 0;
  const ckpt = await CheckpointTensors.open(dir);
  let bytes = 0;
  let checksum = 0;
  // The path every copy of an unchanged tensor takes: chunks through one reused buffer.
  for (const name of ckpt.names()) {
    for await (const chunk of ckpt.streamBytes(name)) {
      bytes += chunk.byteLength;
      checksum = (checksum + chunk[chunk.byteLength - 1]!) % 65521;
    }
  }
  // And whole tensors, as pruning reads the ones it changes.
  const whole = performance.now();
  for (const name of ckpt.names()) {
    const data = await ckpt.readBytes(name);
    checksum = (checksum + data[0]!) % 65521;
  }
  wholeSeconds = (performance.now() - whole) / 1000;
  await ckpt.close();
  const seconds = (performance.now() - started) / 1000 - wholeSeconds;
  process.stdout.write(JSON.stringify({ seconds, wholeSeconds, bytes, checksum, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

async function generate(dir: string, sizeMb: number): Promise<number> {
  const tensorMb = 64;
  const specs: TensorSpec[] = [];
  for (let i = 0; i < Math.round(sizeMb / tensorMb); i++)
    specs.push({ name: `layers.${i}.weight`, dtype: 'F32', shape: [(tensorMb * MB) / 4 / 1024, 1024] });
  if (!existsSync(join(dir, 'model.safetensors.index.json'))) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`writing ${specs.length} × ${tensorMb} MB tensors to ${dir}\n`);
    await writeTensors(dir, specs, (s) => new Uint8Array(tensorMb * MB).fill(Number(s.name.split('.')[1]) % 251), {
      maxShardBytes: 256 * MB,
    });
  }
  return tensorMb * MB;
}

function time(cmd: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * MB });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  return (performance.now() - t) / 1000;
}

async function main(): Promise<void> {
  const sizeMb = Number(process.env.BENCH_SIZE_MB ?? 1024);
  const dir = join(process.env.BENCH_DIR ?? tmpdir(), `bonsai-bench-st-${sizeMb}`);
  const largest = await generate(dir, sizeMb);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .map((f) => join(dir, f));
  // Warm the page cache so both sides read from memory, then alternate and keep the best of three.
  time('sh', ['-c', `cat ${files.join(' ')} > /dev/null`]);
  const cats: number[] = [];
  const reads: Array<{ seconds: number; wholeSeconds: number; maxRssBytes: number }> = [];
  for (let i = 0; i < 3; i++) {
    cats.push(time('sh', ['-c', `cat ${files.join(' ')} > /dev/null`]));
    const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    reads.push(JSON.parse(r.stdout));
  }
  const cat = Math.min(...cats);
  const read = Math.min(...reads.map((r) => r.seconds));
  const rss = Math.max(...reads.map((r) => r.maxRssBytes));
  const rssLimit = largest * 2 + 200 * MB;
  const ratio = read / cat;
  console.log(`safetensors streaming read of ${sizeMb} MB (${files.length} shards, largest tensor ${largest / MB} MB)`);
  console.log(`  cat baseline     ${cat.toFixed(3)} s`);
  console.log(`  bonsai read      ${read.toFixed(3)} s   ratio ${ratio.toFixed(2)}× (target ≤ 1.5×)  ${ratio <= 1.5 ? 'PASS' : 'FAIL'}`);
  console.log(
    `  whole tensors    ${Math.min(...reads.map((r) => r.wholeSeconds)).toFixed(3)} s   (one buffer per tensor, as pruning reads them)`,
  );
  console.log(
    `  peak RSS         ${(rss / MB).toFixed(0)} MB   limit ${(rssLimit / MB).toFixed(0)} MB  ratio ${(rss / rssLimit).toFixed(2)}  ${rss <= rssLimit ? 'PASS' : 'FAIL'}`,
  );
  if (ratio > 1.5 || rss > rssLimit) process.exitCode = 1;
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
else await main();
