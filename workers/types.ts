import type { db } from '../src/db/client.js';
import type { RegistryDeps } from '../src/registry/deps.js';
import type { JobReporter } from './progress.js';

/** What a handler gets: the registry, its Job row, a reporter, a cancel signal and a temp folder. */
export interface JobContext {
  deps: RegistryDeps;
  job: db.Job;
  reporter: JobReporter;
  signal: AbortSignal;
  /** Under the artifact store's tmp/, named after the job, removed when the job ends. */
  tmp: string;
  /** Threads for CPU work (BONSAI_THREADS). */
  threads: number;
}
