// The pid of the job process running a job (its script, workers/bundle.ts, then JOB_ID), found in /proc: the tests
// that kill or stop a job's process for real look it up here.
import { readdirSync, readFileSync } from 'node:fs';
import { isJobScript } from '../../workers/bundle.js';

export function jobProcess(jobId: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some(isJobScript) && argv.includes(jobId)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}
