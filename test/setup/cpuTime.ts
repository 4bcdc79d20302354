// Records the CPU time each test file used (user + system, of its own process and of the child
// processes it waited for: job processes, the CLI, tokenizer checks) in the file's meta, for
// test/setup/slowestReporter.ts. On a machine shared with other work the wall time of a file says
// little about what it costs; its CPU seconds add up to what the suite needs of the cores (issue
// 28). Linux only (test/helpers/cpuSeconds.ts); elsewhere nothing is recorded.
import { afterAll } from 'vitest';
import { cpuSeconds } from '../helpers/cpuSeconds.js';

const start = cpuSeconds();

// Registered first, so it runs after the file's own afterAll hooks (servers closed, children ended).
// biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's first parameter as fixtures, which must be destructured; the file is the second
afterAll(({}, file) => {
  const end = cpuSeconds();
  if (start !== undefined && end !== undefined) (file.meta as { cpuSeconds?: number }).cpuSeconds = end - start;
});
