// Benchmark of the command line's start-up and exit (issue 32, "CLI and README"): `bonsai token
// list` and `bonsai register` of the shared model against `bonsai --version`, in one run, each a
// fresh process as a user's shell starts it (node on the installed executable, src/cli/bonsai.mjs,
// which `npm link` puts on the PATH). The registry is a scratch database (embedded Postgres in a
// temp home, or DATABASE_URL's server), already migrated, as it is once `bonsai serve` has run.
// Goals on a quiet 2-core machine: token list ≤ 4× --version, register ≤ 2 s.
//   npm run bench:cli            (BENCH_RUNS=N, default 5)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/log.js';
import { sharedModel } from '../test/fixtures/checkpoints.js';
import { scratchDatabase } from './scratchDatabase.js';

const bin = fileURLToPath(new URL('../src/cli/bonsai.mjs', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 5);

const log = createLogger('warn', 'bench:cli');
const db = await scratchDatabase('cli', log);
const home = mkdtempSync(join(tmpdir(), 'bonsai-bench-cli-'));
const env = {
  ...process.env,
  DATABASE_URL: db.url,
  BONSAI_HOME: home,
  BONSAI_ARTIFACTS_DIR: join(home, 'artifacts'),
  BONSAI_MODEL_ROOTS: dirname(sharedModel),
  // No server of the developer's is adopted (src/cli/servers.ts).
  XDG_STATE_HOME: join(home, 'state'),
};

/** Wall-clock seconds of one run of `bonsai ARGS`, from spawn to exit; fails loudly on an error. */
function timed(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`bonsai ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  // One run each first: tsx's transform cache and the page cache, as on a machine in use.
  timed(['--version']);
  timed(['token', 'list']);
  // Runs interleaved, so a burst of load elsewhere on the machine falls on all three alike.
  const times = { version: [] as number[], tokens: [] as number[], register: [] as number[] };
  for (let i = 0; i < runs; i++) {
    times.version.push(timed(['--version']));
    times.tokens.push(timed(['token', 'list']));
    times.register.push(timed(['register', sharedModel, '--name', `bench/tiny-llama-kjv-${i}`]));
  }
  const version = median(times.version);
  const rows: Array<[string, number, string, boolean]> = [
    ['bonsai --version', version, '', true],
    ['bonsai token list', median(times.tokens), '≤ 4× --version', median(times.tokens) <= 4 * version],
    ['bonsai register (shared model)', median(times.register), '≤ 2 s', median(times.register) <= 2],
  ];
  process.stdout.write(
    `bench:cli — median of ${runs} runs each, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n\n`,
  );
  process.stdout.write('| command | median | × --version | goal | met |\n|---|---|---|---|---|\n');
  for (const [name, s, goal, met] of rows)
    process.stdout.write(
      `| \`${name}\` | ${s.toFixed(2)} s | ${(s / version).toFixed(1)}× | ${goal || '—'} | ${goal ? (met ? 'yes' : 'NO') : '—'} |\n`,
    );
  process.stdout.write(
    `\nall runs (s): --version ${times.version.map((t) => t.toFixed(2)).join(' ')}; token list ${times.tokens
      .map((t) => t.toFixed(2))
      .join(' ')}; register ${times.register.map((t) => t.toFixed(2)).join(' ')}\n`,
  );
} finally {
  await db.drop();
  rmSync(home, { recursive: true, force: true });
}
