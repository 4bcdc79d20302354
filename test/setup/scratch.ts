// Each test file's scratch folder: TMPDIR points into it while the file runs (its own temp folders,
// and those of the servers, job processes, CLI runs and browsers it starts, which inherit TMPDIR),
// and the folder is removed when the file ends. Folders made inside a test cannot register an
// afterAll there, and a worker that vitest ends does not run `exit` handlers: before this, one run
// left 472 folders (5.8 GB) in /tmp, and a machine's runs filled its disk (CI: ENOSPC).
// The run's folder (test/setup/global.ts) catches whatever a file could not remove.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';

// In the run's folder, not in TMPDIR: a worker that runs several files (vitest's isolate: false)
// still has the previous file's scratch, removed by now, as its TMPDIR.
const scratch = mkdtempSync(join(inject('runTmp'), 'file-'));
// Traverse-only for others, as src/db/embedded.ts leaves a home folder: an embedded Postgres a
// test starts runs as `postgres` when the tests run as root, and must reach its data folder.
chmodSync(scratch, 0o711);
process.env.TMPDIR = scratch;

// Registered before the file's own hooks, so it runs after them (servers closed, children ended).
afterAll(() => {
  try {
    rmSync(scratch, { recursive: true, force: true });
  } catch {
    // Something still writing there (a child outliving the file): the run's teardown removes it.
  }
});
