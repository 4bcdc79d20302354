import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import LongFirst from './test/setup/longFirst.js';
import SlowestTests from './test/setup/slowestReporter.js';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for Nexus and Apollo; Vite would pick its ESM build for
    // our own files, and two graphql realms cannot share a schema.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    // Each file's fresh modules and environment (the worker is reused: isolate below), its scratch
    // folder (TMPDIR, removed when it ends) and CPU seconds (the slowest-tests reporter lists them).
    setupFiles: ['test/setup/freshModules.ts', 'test/setup/scratch.ts', 'test/setup/cpuTime.ts'],
    pool: 'forks',
    // A worker process runs file after file: the packages a file imports (graphql, Prisma, Apollo,
    // onnxruntime) load once per worker instead of once per file, while our own modules and the
    // environment start fresh for each file (test/setup/freshModules.ts). Quiet 2-core VM,
    // 2026-12-06, full runs back to back: 388 s, the machine busy 699 CPU-s, against 450 s and
    // 811 CPU-s with a process per file (vitest's import time summed over files 72 → 18 s).
    isolate: false,
    // As job processes start (workers/runner.ts JOB_NODE_FLAGS): V8's default budget recompiles
    // Prisma 7's WebAssembly query compiler with TurboFan during a file's first queries, about
    // 0.3-0.7 CPU-s a file that never pays back (3 Prisma files: 11 → 9 CPU-s, loaded VM).
    //
    // V8's collector on the worker's own thread, with a 64 MB young generation: three workers share
    // two cores, where parallel GC helpers only wait on each other, and the files allocate large
    // typed arrays and tokenizer maps that a 16 MB nursery promotes early. The eight heaviest
    // in-process files, alternated on this VM (2026-12-07): the machine busy 166-178 CPU-s with
    // V8's defaults, 153-162 with both flags.
    //
    // The old generation may grow to 4× what survived the last full collection before the next
    // starts (V8's `--heap-growing-percent`; its own factor is 1.1-4 by recent GC speed). With
    // --trace-gc a worker ran a full mark-compact every 0.3-0.5 s for minutes on a 65 MB heap,
    // freeing 1-3 MB each time: incremental marking starts whenever the room left below the limit
    // is smaller than the young generation. Eight heavy files: 157 mark-compacts (11.6 s) → 70
    // (6.1 s). Full runs alternated on this VM (2026-12-07 03:19-03:56): 267 s and 267 s (busy
    // 524 and 522 CPU-s) against 276, 279, 286 and 290 s (busy 538, 545, 564, 567) without; the largest heap
    // a worker committed stayed at ~1 GB.
    execArgv: ['--wasm-tiering-budget=20000000', '--single-threaded-gc', '--max-semi-space-size=64', '--heap-growing-percent=300'],
    // One worker more than the cores (as `make -j N+1`): most files spend part of their time waiting
    // on Postgres, a server, a browser or a child process, and a third file fills the core the
    // other two leave idle. Quiet 2-core VM, 2026-12-06, full runs: two workers 354 s and 351 s
    // (the machine busy 633 and 625 CPU-s, idle 66 and 67 core-s); three workers 308 s (busy 602,
    // idle 10). Vitest's default, one worker less than the cores, is a single worker on two cores.
    maxWorkers: availableParallelism() + 1,
    sequence: { sequencer: LongFirst },
    reporters: ['default', new SlowestTests()],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
