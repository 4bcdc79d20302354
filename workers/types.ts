import type { RegistryDeps } from '../src/registry/deps.js';
import type { JobRow } from '../src/registry/jobs/index.js';
import type { JobReporter } from './progress.js';

/** What a task gets: the registry, its Job row, a reporter, a cancel signal and a temp folder. */
export interface JobContext {
  deps: RegistryDeps;
  job: JobRow;
  reporter: JobReporter;
  signal: AbortSignal;
  /** Under the artifact store's tmp/, named after the job, removed when the job ends. */
  tmp: string;
  /** Threads for CPU work (BONSAI_THREADS). */
  threads: number;
}
