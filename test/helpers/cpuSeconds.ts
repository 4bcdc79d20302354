// The CPU seconds a process has used, with those of its children that have been waited for (job
// processes, the CLI, tokenizer checks): the suite's per-file figures (test/setup/cpuTime.ts) and
// bench/queue.ts's. Linux only (/proc/self/stat); undefined elsewhere.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux architecture Node runs on). */
const TICKS = 100;

/** Seconds of CPU so far: this process, and its children that have been waited for. */
export function cpuSeconds(): number | undefined {
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
