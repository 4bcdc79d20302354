import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temporary folder, inside the test file's scratch folder (TMPDIR, test/setup/scratch.ts), which
 * is removed when the file ends, whether the folder was made at the top, in a hook or in a test.
 */
export function tempDir(prefix = 'bonsai-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
