import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Folders made and not yet removed: what the process's exit removes. */
const made = new Set<string>();
// A folder made inside a hook (a beforeAll making a server's home) registers its afterAll where
// vitest does not run it: 16 homes of test/workers/restart.test.ts (770 MB each) were left in /tmp
// until the disk filled. The test process's exit removes whatever is left.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder removed when the test file ends (at the latest, when its process exits). */
export function tempDir(prefix = 'bonsai-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    made.delete(dir);
  });
  return dir;
}
