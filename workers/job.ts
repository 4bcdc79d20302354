// One job, run by its own process (workers/main.ts, started by the runner): CPU-heavy work never
// blocks the server's event loop, a crash takes down only this process, and cancellation can
// always end it. The task runs through the task kit (task.ts); how its failure is classified is
// failures.ts's call; the exit code tells the runner.
import { rm } from 'node:fs/promises';
import { type Config, loadConfig } from '../src/config.js';
import { coerceError } from '../src/errors.js';
import { createLogger, type Logger } from '../src/log.js';
import { openRegistry } from '../src/registry/deps.js';
import { recordError } from '../src/registry/jobs/progress.js';
import { findJob, type JobRow } from '../src/registry/jobs/read.js';
import { EXIT, failureOf, isPermanent } from './failures.js';
import { heartbeatInterval, JobReporter } from './progress.js';
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

/** The job's reporter, beating at the interval of the stale threshold its runner gave it. */
export function jobReporter(
  deps: ConstructorParameters<typeof JobReporter>[0],
  jobId: string,
  log: Logger,
  config: Pick<Config, 'databaseUrl' | 'jobStaleSeconds'>,
): JobReporter {
  return new JobReporter(deps, jobId, log, config.databaseUrl, heartbeatInterval(config.jobStaleSeconds));
}

export async function runJob(jobId: string): Promise<never> {
  const config = loadConfig();
  const registry = openRegistry(config, createLogger(config.logLevel, `job ${jobId.slice(0, 8)}`));
  const job = await findJob(registry.deps, jobId);
  const log = createLogger(config.logLevel, `job ${jobId.slice(0, 8)} ${job.kind.toLowerCase()} #${job.attempts}`);
  const deps = { ...registry.deps, log };
  const reporter = jobReporter(deps, jobId, log, config);
  const abort = new AbortController();
  let cancelled = false;
  process.on('SIGTERM', () => {
    cancelled = true;
    abort.abort(new Error('cancelled'));
  });
  // The runner holds the other end of the IPC channel: when it dies (even by SIGKILL), stop.
  process.on('disconnect', () => process.exit(EXIT.retryable));

  const tmp = await deps.store.tempDir(`job-${jobId}`);
  const ctx: JobContext = { deps, job, reporter, signal: abort.signal, tmp, threads: config.threads };
  let code: number = EXIT.ok;
  try {
    // A kind with no task (a row from a newer version) still fails as runTask says, with no task to find.
    const load = Object.hasOwn(TASKS, job.kind) ? TASKS[job.kind] : undefined;
    await runTask(load ? [await load()] : [], ctx);
    reporter.update('done', 1);
  } catch (thrown) {
    const err = coerceError(thrown);
    code = cancelled ? EXIT.cancelled : isPermanent(err) ? EXIT.permanent : EXIT.retryable;
    reporter.note(cancelled ? 'cancelled' : `failed: ${err.message}`);
    const failure = cancelled ? { code: 'CANCELLED', message: 'cancelled by request' } : failureOf(err);
    await recordError(deps, jobId, failure).catch(() => {});
    if (!cancelled && code === EXIT.retryable) log.error(err.stack ?? err.message);
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await reporter.close();
    await registry.close();
  }
  process.exit(code);
}
