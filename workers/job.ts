// A job process (workers/main.ts, started by the runner): one job at a time, in a process of its
// own, so CPU-heavy work never blocks the server's event loop, a crash takes down only this
// process and the job it runs, and cancellation can always end it. The task runs through the task
// kit (task.ts); how its failure is classified is failures.ts's call.
// A process that ends a job successfully may run the runner's next one (workers/runner.ts
// decides): it says so over IPC (JobProcessMessage: `{ idle: JOB_ID, rss, reusable }`) and waits
// for `{ run: JOB_ID }`, or for the channel to close, which ends it. Its modules, Prisma's compiled query engine and its
// connections are then paid for once, not once a job: 0.6 CPU-s of a job's start
// (bench/job-start.ts). Any other end ends the process, with the exit code that tells the runner why.
import { rm } from 'node:fs/promises';
import { type Config, loadConfig } from '../src/config.js';
import { coerceError } from '../src/errors.js';
import { createLogger, type Logger } from '../src/log.js';
import { resetPeakRss } from '../src/peakRss.js';
import { openRegistry, type Registry } from '../src/registry/deps.js';
import { recordError } from '../src/registry/jobs/progress.js';
import { findJob, type JobRow } from '../src/registry/jobs/read.js';
import { EXIT, failureOf, isPermanent } from './failures.js';
import { HeartbeatThread, heartbeatInterval, JobReporter } from './progress.js';
import { runTask, type Task } from './task.js';
import type { JobContext } from './types.js';

/**
 * Each kind's task, imported only by a job of that kind: the bundle keeps each in a chunk of its
 * own (src/bundle.mjs), so what runs before the task is small (40 modules, was 124). The tasks
 * still share one chunk through src/registry/payloads.ts, whose schemas import every pruning
 * method, so an evaluation loads pruning code too: bench/job-start.ts measured no gain from this
 * alone (issue 28).
 */
const TASKS: Record<JobRow['kind'], () => Promise<Task<never>>> = {
  PRUNE: async () => (await import('./prune.js')).pruneTask as unknown as Task<never>,
  EVALUATE: async () => (await import('./evaluate.js')).evaluateTask as unknown as Task<never>,
  EXPORT_ONNX: async () => (await import('./exportOnnx.js')).exportOnnxTask as unknown as Task<never>,
};

/**
 * What the runner and this process tell each other between jobs (workers/runner.ts): the job that
 * succeeded, the process's resident bytes and whether it can take another (`reusable`: its
 * heartbeat thread runs, and its peak-memory mark could be reset); the next job.
 */
export type JobProcessMessage = { idle: string; rss: number; reusable: boolean } | { run: string };

/** The job's reporter, beating (through the process's heartbeat thread) at the interval of the stale threshold its runner gave it. */
export function jobReporter(
  deps: ConstructorParameters<typeof JobReporter>[0],
  jobId: string,
  log: Logger,
  heartbeat: HeartbeatThread | null,
  jobStaleSeconds: Config['jobStaleSeconds'],
): JobReporter {
  return new JobReporter(deps, jobId, log, heartbeat, heartbeatInterval(jobStaleSeconds));
}

/** The job running now: what a SIGTERM (the runner's cancellation) stops. */
interface Running {
  abort: AbortController;
  cancelled: boolean;
}

/** Runs `first`, then each job the runner hands over after a success, and exits with the last job's code. */
export async function runJobs(first: string): Promise<never> {
  const config = loadConfig();
  const registry = openRegistry(config, createLogger(config.logLevel, `job process ${process.pid}`));
  // openRegistry has refused a process without DATABASE_URL.
  const heartbeat = new HeartbeatThread(config.databaseUrl!, registry.deps.log);
  /** The job under way; null between jobs. */
  let running: Running | null = null;
  // Between jobs a SIGTERM is not a job's cancellation (a service manager stopping the machine,
  // or the runner's cancellation arriving late): the process ends without claiming any job's end,
  // and the runner retries a job it may just have handed over.
  process.on('SIGTERM', () => {
    if (!running) process.exit(EXIT.retryable);
    running.cancelled = true;
    running.abort.abort(new Error('cancelled'));
  });
  // The runner holds the other end of the IPC channel: when it dies (even by SIGKILL), stop. Between
  // jobs its closing the channel is how it ends this process (nextJob).
  process.on('disconnect', () => {
    if (running) process.exit(EXIT.retryable);
  });

  let jobId: string | null = first;
  let code: number = EXIT.ok;
  for (let nth = 1; jobId !== null; nth++) {
    const current: Running = { abort: new AbortController(), cancelled: false };
    running = current;
    // The speed task's peak_rss_bytes is this job's, not the process's since it started (src/peakRss.ts).
    const ownPeak = resetPeakRss();
    code = await runJob(jobId, nth, config, registry, heartbeat, current);
    running = null;
    if (code !== EXIT.ok) break;
    // A SIGTERM that came as the job ended (its work done) still ends the process, once the
    // runner knows the job succeeded: the process says it takes no other, and the runner lets it go.
    jobId = await nextJob(jobId, heartbeat.alive && ownPeak && !current.cancelled);
  }
  await heartbeat.close();
  await registry.close();
  process.exit(code);
}

/** Runs the process's `nth` job and returns its exit code. */
async function runJob(
  jobId: string,
  nth: number,
  config: Config,
  registry: Registry,
  heartbeat: HeartbeatThread,
  running: Running,
): Promise<number> {
  const job = await findJob(registry.deps, jobId);
  const log = createLogger(config.logLevel, `job ${jobId.slice(0, 8)} ${job.kind.toLowerCase()} #${job.attempts}`);
  const deps = { ...registry.deps, log };
  const reporter = jobReporter(deps, jobId, log, heartbeat, config.jobStaleSeconds);
  // Which process ran the job, and after how many others: where to look when a job behaves
  // differently as a process's later job.
  reporter.note(`job process ${process.pid}, its job ${nth}`);
  const tmp = await deps.store.tempDir(`job-${jobId}`);
  const ctx: JobContext = { deps, job, reporter, signal: running.abort.signal, tmp, threads: config.threads };
  let code: number = EXIT.ok;
  try {
    // A kind with no task (a row from a newer version) still fails as runTask says, with no task to find.
    const load = Object.hasOwn(TASKS, job.kind) ? TASKS[job.kind] : undefined;
    await runTask(load ? [await load()] : [], ctx);
    reporter.update('done', 1);
  } catch (thrown) {
    const err = coerceError(thrown);
    const { cancelled } = running;
    code = cancelled ? EXIT.cancelled : isPermanent(err) ? EXIT.permanent : EXIT.retryable;
    reporter.note(cancelled ? 'cancelled' : `failed: ${err.message}`);
    const failure = cancelled ? { code: 'CANCELLED', message: 'cancelled by request' } : failureOf(err);
    await recordError(deps, jobId, failure).catch(() => {});
    if (!cancelled && code === EXIT.retryable) log.error(err.stack ?? err.message);
  } finally {
    // The in-place views of the job's checkouts live in this process's memory (src/formats/joinedViews.ts).
    deps.store.release(tmp);
    await rm(tmp, { recursive: true, force: true });
    await reporter.close();
  }
  return code;
}

/**
 * Tells the runner this process is free after `done` (and whether it can take another) and waits
 * for its next job: null when the runner closes the channel instead (or there is none: a process
 * started without one).
 */
function nextJob(done: string, reusable: boolean): Promise<string | null> {
  if (!process.send || !process.connected) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onMessage = (message: JobProcessMessage) => {
      if (!('run' in message) || typeof message.run !== 'string') return;
      stop();
      resolve(message.run);
    };
    const onDisconnect = () => {
      stop();
      resolve(null);
    };
    const stop = () => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
    };
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
    const idle: JobProcessMessage = { idle: done, rss: process.memoryUsage.rss(), reusable };
    process.send!(idle);
  });
}
