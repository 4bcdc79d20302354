// src/peakRss.ts: a job process kept for several jobs resets its peak-memory mark as each job
// starts, so the speed task's peak_rss_bytes is its own job's (workers/job.ts). Checked in a real
// process that holds 300 MB, frees it, resets the mark, and reads it again.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers/bonsai.js';

it('the peak falls back to the current RSS when reset, and rises with what the process touches after', () => {
  const script = `
    import { peakRssBytes, resetPeakRss } from ${JSON.stringify(join(repoRoot, 'src', 'peakRss.ts'))};
    const rss = () => process.memoryUsage.rss();
    let held = Buffer.alloc(300e6, 1);
    const withBuffer = peakRssBytes();
    held = null;
    globalThis.gc(); globalThis.gc();
    const freed = rss();
    const reset = resetPeakRss();
    const afterReset = peakRssBytes();
    let again = Buffer.alloc(100e6, 1);
    const withSmaller = peakRssBytes();
    process.stdout.write(JSON.stringify({ withBuffer, freed, reset, afterReset, withSmaller, smaller: again.length }));
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const m = JSON.parse(r.stdout) as Record<string, number | boolean>;
  const MB = 1e6;
  expect(m.withBuffer as number).toBeGreaterThan(300 * MB);
  expect(m.reset).toBe(true);
  // The mark is the RSS at the reset (within a page-in or two), far below the 300 MB peak before it.
  expect(m.afterReset as number).toBeLessThan((m.withBuffer as number) - 200 * MB);
  expect(Math.abs((m.afterReset as number) - (m.freed as number))).toBeLessThan(20 * MB);
  // And it follows what the process touches after: the 100 MB buffer, not the 300 MB one.
  expect(m.withSmaller as number).toBeGreaterThan((m.afterReset as number) + 90 * MB);
  expect(m.withSmaller as number).toBeLessThan((m.withBuffer as number) - 100 * MB);
});
