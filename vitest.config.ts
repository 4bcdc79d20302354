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
    // (`--heap-growing-percent=300`: V8 uses 1 + 300/100 in place of the factor it computes from
    // marking speed against allocation rate, and the limit stays capped halfway to the heap's
    // maximum). V8 (11.3, heap.cc IncrementalMarkingLimitReached) starts incremental marking once
    // the room below the limit, less the external memory (Buffers, typed arrays) allocated since
    // the last full collection, is smaller than a semi-space: with these files' large buffers a
    // worker ran a full mark-compact every 0.3-0.5 s for 15-20 s at a time on a 65 MB heap,
    // freeing 1-3 MB each (--trace-gc). Starts for external memory pressure (64 MB of new
    // buffers) are not changed by it. Eight heavy files, --trace-gc, 2026-12-07: 143-157 full
    // mark-compacts (10.2-11.6 s) without it, 67-70 (6.1-6.4 s) with it, in three runs without and
    // four with (two of each by a reviewer); the largest heap a worker committed 1.0-1.1 GB either
    // way. Full runs on this VM, in time order (03:19-03:56): 273 s (600 %), 276 (none), 267 (300
    // %), 279 (none), 267 (300 %), 286 (none), 273 (300 % and a fixed 64 MB young generation), 290
    // (none).
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
