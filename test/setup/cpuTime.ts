// Records the CPU time each test file used (user + system, of its own process and of the child
// processes it waited for: job processes, the CLI, tokenizer checks) in the file's meta, for
// test/setup/slowestReporter.ts. On a machine shared with other work the wall time of a file says
// little about what it costs; its CPU seconds add up to what the suite needs of the cores (issue
// 28). Linux only (/proc/self/stat); elsewhere nothing is recorded.
import { readFileSync } from 'node:fs';
import { afterAll } from 'vitest';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux architecture Node runs on). */
const TICKS = 100;

/** Seconds of CPU so far: this process, and its children that have been waited for. */
function cpuSeconds(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces, in parentheses): state is field 3, so
  // utime, stime, cutime and cstime (fields 14-17) are the 11th to 14th after it.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(f[i]));
  return (utime! + stime! + cutime! + cstime!) / TICKS;
}

const start = cpuSeconds();

// Registered first, so it runs after the file's own afterAll hooks (servers closed, children ended).
// biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's first parameter as fixtures, which must be destructured; the file is the second
afterAll(({}, file) => {
  const end = cpuSeconds();
  if (start !== undefined && end !== undefined) (file.meta as { cpuSeconds?: number }).cpuSeconds = end - start;
});
