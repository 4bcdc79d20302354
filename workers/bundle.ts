// The script a job process runs: a bundle of workers/main.ts (src/bundle.mjs), 0.58 CPU-s for a
// job that fails at its payload against 1.48 through tsx (bench/job-start.ts, a loaded 2-core
// machine; issue 28: a test run starts a process for every job, a server one per job too); the
// tsx entry where no bundle can be built.
import { fileURLToPath } from 'node:url';
import { bundledEntry } from '../src/bundle.mjs';
import type { Logger } from '../src/log.js';

/** The tsx entry: the fallback, and what a job process ran before bundles. */
export const TSX_ENTRY = fileURLToPath(new URL('./entry.mjs', import.meta.url));

/**
 * The bundle of workers/main.ts, built if needed (it throws where none can be), with the packages
 * it can inline: Node resolving and parsing them cost a job process more than our code (src/bundle.mjs).
 */
export const jobBundle = (): Promise<string> => bundledEntry('workers/main.ts', 'job', { inline: true });

export async function jobEntry(log: Logger): Promise<string> {
  try {
    return await jobBundle();
  } catch (err) {
    log.warn(`job processes start through tsx (no prebuilt bundle: ${err instanceof Error ? err.message : String(err)})`);
    return TSX_ENTRY;
  }
}
