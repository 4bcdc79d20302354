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
    execArgv: ['--wasm-tiering-budget=20000000'],
    // Vitest's default is one worker less than the cores: a single worker on a 2-core machine,
    // though most files spend their time waiting on Postgres, a server or a child process. Two
    // files at a time there; the default above that.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongFirst },
    reporters: ['default', new SlowestTests()],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
