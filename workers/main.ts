// A job process (`node <bundle of this file> JOB_ID`, workers/bundle.ts), started by the runner
// for JOB_ID and kept by it for the jobs after, one at a time (job.ts). Nothing is imported here
// but what must run before the job's modules load: a static import of job.ts would load pg before
// `navigator` is defined (src/nodeNavigator.mjs).
import { defineNodeNavigator } from '../src/nodeNavigator.mjs';

const jobId = process.argv[2];
if (!jobId) {
  process.stderr.write('usage: workers/main.ts JOB_ID\n');
  process.exit(2);
}
defineNodeNavigator();
await (await import('./job.js')).runJobs(jobId);
