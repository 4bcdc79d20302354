// A process's peak resident memory. On Linux, VmHWM (proc(5)), which writing 5 to
// /proc/self/clear_refs resets to the current RSS (Linux 4.0+): a job process that runs several
// jobs one after another (workers/job.ts) resets it as each job starts, so the speed task's
// `peak_rss_bytes` is its own job's. Elsewhere getrusage's ru_maxrss, the peak since the process started.
import { readFileSync, writeFileSync } from 'node:fs';

/** Restarts the peak from the current RSS; false where it cannot (not Linux, /proc read-only). */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** The peak resident bytes since the process started or since the last reset. */
export function peakRssBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // No /proc: below.
  }
  return process.resourceUsage().maxRSS * 1024;
}
