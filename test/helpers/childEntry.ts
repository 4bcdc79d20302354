// Node's arguments for a test's own child process written in TypeScript. A bundle built once
// (src/bundle.mjs: esbuild, kept in node_modules/.cache/bonsai while its sources are unchanged), as
// Bonsai's job processes and CLI start, rather than tsx's loader compiling the child's imports in
// every process it starts (0.3 CPU-s a start for a child of the store, quiet 2-core machine): a
// test that starts the child eight times paid that eight times. The same sources run either way.
// Through tsx where no bundle can be built, or with BONSAI_BUNDLE=0 (TypeScript's line numbers).
import { join } from 'node:path';
import { bundledEntry } from '../../src/bundle.mjs';
import { repoRoot } from './bonsai.js';

/** `source` relative to the repository; `name` names its bundle's folder in the cache. */
export async function childEntry(source: string, name: string): Promise<string[]> {
  return bundledEntry(source, name).then(
    (bundle) => [bundle],
    () => ['--import', 'tsx', join(repoRoot, source)],
  );
}
