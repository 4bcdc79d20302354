// The worker runner: takes jobs from pg-boss and runs each in a job process (main.ts), one job at a
// time in a process, watches it for cancellation, and turns how the job ended (a success told over
// IPC, or the process's exit) into the Job row's final state. A process whose job succeeded is
// kept for the slot's next jobs (workers/job.ts), as Celery's prefork pool and gunicorn's workers
// keep theirs: up to BONSAI_JOB_PROCESS_MAX_JOBS jobs, while it is idle for less than
// IDLE_PROCESS_MS and holds less than IDLE_PROCESS_MAX_RSS; any failure, cancellation or kill
// ends the process. Beside that it
// supervises the whole fleet: a RUNNING job whose heartbeat stopped (its worker was killed) is
// handed back to the queue, QUEUED rows without a queue entry are re-sent, and orphaned temp
// folders and unreferenced blobs are removed.
import { type ChildProcess, spawn } from 'node:child_process';
import { childEnvironment, DEFAULT_JOB_PROCESS_MAX_JOBS, MIN_JOB_STALE_SECONDS } from '../src/config.js';
import type { RegistryDeps } from '../src/registry/deps.js';
import {
  cancelRequested,
  findJob,
  finishAttempt,
  isFinished,
  renewHeartbeat,
  requeueStale,
  startJob,
  waitingRetries,
  wasHandedBack,
} from '../src/registry/jobs/index.js';
import type { JobQueue } from '../src/registry/queue.js';
import { QUEUE } from '../src/registry/queue.js';
import { jobEntry, TSX_ENTRY } from './bundle.js';
import { cleanup } from './cleanup.js';
import { EXIT, exitFailure } from './failures.js';
import type { JobProcessMessage } from './job.js';
import { waitAtMost } from './waitAtMost.js';

const CANCEL_POLL_MS = 2000;
const KILL_AFTER_MS = 6000;
/** Enough of a job process's stderr to hold V8's fatal-error report. */
const STDERR_TAIL_CHARS = 8192;

/**
 * V8 flags of each job process. Prisma 7's query compiler is WebAssembly, and with V8's default
 * budget its hot functions are recompiled by TurboFan within a job's first few queries: 0.3 CPU-s
 * of a job process's 1.2 (issue 28; bench/job-start.ts), which no job earns back: 1,000 rounds of
 * three queries in one process took 3.5-3.9 CPU-s with this budget, 4.0-4.7 with the default
 * (loaded 2-core machine). Ten times the default keeps a job's few dozen queries on the baseline
 * compiler's code; a function run far more often than that is still tiered up.
 */
export const JOB_NODE_FLAGS: readonly string[] = ['--wasm-tiering-budget=20000000'];

/**
 * How long a job process waits for the slot's next job before the runner ends it: queued jobs
 * follow one another within the queue's polling interval (half a second), and an idle process
 * holds its memory and two database connections.
 */
const IDLE_PROCESS_MS = 30_000;
/**
 * A process holding more memory than this after its job is not kept: V8 and onnxruntime keep
 * much of what a large model's job freed, and the machine's memory is better back with it.
 */
const IDLE_PROCESS_MAX_RSS = 1024 ** 3;

/** A job whose process ended without saying how the job ended (a SIGTERM between jobs). */
const UNREPORTED = { code: 'CRASHED', message: "the job process ended without reporting the job's end; retrying" };

/** A job interrupted by its worker's shutdown (stop) goes back to the queue. */
const WORKER_STOPPED = { code: 'WORKER_LOST', message: 'the worker running this job was stopped; retrying' };

/** How a job process ended, as the runner saw it. */
interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
  /** The runner stopped it because its cancellation was asked for. */
  cancelled: boolean;
  /**
   * The runner killed it because its job was handed back to the queue (no heartbeat: a stopped,
   * hung or unreachable process) while it still ran: the retry belongs to another attempt.
   */
  handedBack: boolean;
  /** It exited with code 0 while its job ran, without reporting the job's end (workers/job.ts). */
  unreported: boolean;
}

export interface RunnerOptions {
  concurrency: number;
  databaseUrl: string;
  artifactsDir: string;
  modelRoots: readonly string[];
  /** A RUNNING job whose heartbeat is older than this has lost its worker (BONSAI_JOB_STALE_SECONDS). */
  staleAfterMs?: number;
  /** Extra environment for job processes (tests). */
  env?: Record<string, string>;
  /** How long `stop()` lets job processes end on SIGINT before it kills them (tests; 10 s). */
  stopGraceMs?: number;
  /** Jobs one process runs before it is replaced (BONSAI_JOB_PROCESS_MAX_JOBS; 1: a process per job). */
  maxJobsPerProcess?: number;
  /** How long a process waits for the slot's next job before it is ended (tests; IDLE_PROCESS_MS). */
  idleProcessMs?: number;
}

/** A job process this runner started. */
interface JobProcess {
  child: ChildProcess;
  /** The script it runs: a process of an older build is not handed new jobs. */
  entry: string;
  /** Jobs it has been handed, the current one included. */
  jobs: number;
  /** The end of its stderr since its current job began: V8 says there why it aborted a process (out of memory). */
  stderrTail: string;
  stderrEnded: Promise<void>;
  /** While it waits for a job: the timer that ends it. */
  idleTimer?: NodeJS.Timeout;
}

export class Runner {
  private readonly processes = new Set<JobProcess>();
  /** Processes whose job succeeded, waiting for the next. */
  private readonly idle: JobProcess[] = [];
  /** The process of each job running now. */
  private readonly running = new Map<string, JobProcess>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private readonly staleAfterMs: number;
  private readonly maxJobsPerProcess: number;

  constructor(
    private readonly deps: RegistryDeps,
    private readonly queue: JobQueue,
    private readonly options: RunnerOptions,
  ) {
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    // What BONSAI_JOB_STALE_SECONDS allows: the job processes are told it in whole seconds.
    const least = MIN_JOB_STALE_SECONDS * 1000;
    if (!Number.isFinite(this.staleAfterMs) || this.staleAfterMs < least)
      throw new RangeError(`staleAfterMs must be a finite number of at least ${least} ms, not ${this.staleAfterMs}`);
    this.maxJobsPerProcess = options.maxJobsPerProcess ?? DEFAULT_JOB_PROCESS_MAX_JOBS;
    if (!Number.isInteger(this.maxJobsPerProcess) || this.maxJobsPerProcess < 1)
      throw new RangeError(`maxJobsPerProcess must be a whole number of at least 1, not ${this.maxJobsPerProcess}`);
  }

  /** The pid of the process running `jobId` now, if this runner runs it. */
  processOf(jobId: string): number | undefined {
    return this.running.get(jobId)?.child.pid;
  }

  async start(): Promise<void> {
    const { log, prisma } = this.deps;
    const resent = await this.queue.reconcile(prisma);
    if (resent) log.info(`re-sent ${resent} queued job(s) that had no queue entry`);
    await this.supervise();
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => fn().catch((err: unknown) => log.warn(`worker upkeep: ${String(err)}`)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.min(10_000, this.staleAfterMs / 2), () => this.supervise());
    every(30_000, () => this.queue.reconcile(prisma));
    every(10 * 60_000, () => cleanup(this.deps));
    cleanup(this.deps).catch((err: unknown) => log.warn(`cleanup: ${String(err)}`));
    for (let i = 0; i < this.options.concurrency; i++) {
      await this.queue.work((data) => this.run(data.jobId));
    }
  }

  /** Hands back jobs whose worker stopped heartbeating (a SIGKILL, a lost machine). */
  async supervise(): Promise<void> {
    const { log } = this.deps;
    for (const job of await requeueStale(this.deps, this.staleAfterMs)) {
      log.warn(`job ${job.id} lost its worker; handing it back to the queue`);
      await this.queue.fail(job.id, 'worker lost');
      if ((await this.queue.entryState(job.id)) === 'failed' || job.attempts >= job.maxAttempts) {
        await finishAttempt(this.deps, job.id, 'retryable', true);
      }
    }
    // A job handed back while its worker was shutting down can leave its queue entry active with
    // nobody on it: fail the entry so pg-boss schedules the retry.
    for (const id of await waitingRetries(this.deps, 2 * this.staleAfterMs)) {
      if ((await this.queue.entryState(id)) === 'active') await this.queue.fail(id, 'worker stopped');
    }
  }

  private async run(jobId: string): Promise<void> {
    const { log } = this.deps;
    const job = await findJob(this.deps, jobId).catch(() => null);
    if (!job || isFinished(job.status)) return;
    if (job.cancelRequested) {
      await finishAttempt(this.deps, jobId, 'cancelled', true);
      return;
    }
    if (!(await startJob(this.deps, jobId))) return;
    const exit = await this.runProcess(jobId);
    // The supervisor already handed the job back and failed its queue entry, so pg-boss retries it.
    if (exit.handedBack) throw new RetryScheduled(jobId);
    const { outcome, failure } = exit.cancelled
      ? { outcome: 'cancelled' as const, failure: undefined }
      : this.stopping && exit.signal
        ? { outcome: 'retryable' as const, failure: WORKER_STOPPED }
        : exit.unreported
          ? { outcome: 'retryable' as const, failure: UNREPORTED }
          : exitFailure(exit.code, exit.signal, exit.stderrTail);
    const final = await finishAttempt(this.deps, jobId, outcome, false, failure);
    // Thrown so pg-boss schedules the retry with its backoff; the row says QUEUED meanwhile.
    if (final === 'QUEUED') throw new RetryScheduled(jobId);
    log.info(`job ${jobId} ${final.toLowerCase()}`);
  }

  private async runProcess(jobId: string): Promise<ProcessExit> {
    // Looked up for each job (12 ms of CPU when it exists): a server running for days starts its
    // jobs from the sources as they are, and never from a build removed as old (src/bundle.mjs).
    const entry = await jobEntry(this.deps.log);
    const proc = this.takeIdle(entry) ?? this.spawnProcess(entry, jobId);
    const { child } = proc;
    proc.jobs++;
    proc.stderrTail = '';
    if (proc.jobs > 1) {
      this.deps.log.debug(`job ${jobId} runs in job process ${child.pid} (its job ${proc.jobs})`);
      const run: JobProcessMessage = { run: jobId };
      // A process that died since it was taken fails the job as its exit says (below).
      child.send(run, () => {});
    }
    this.running.set(jobId, proc);
    let killTimer: NodeJS.Timeout | undefined;
    let handedBack = false;
    // Once the job has ended, a check still awaiting its query must not act: the process may
    // already run the next job.
    let ended = false;
    const handedAt = Date.now();
    const watch = setInterval(async () => {
      const asked = await cancelRequested(this.deps, jobId).catch(() => false);
      if (ended) return;
      if (asked && !killTimer) {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
        return;
      }
      // A process that stopped heartbeating (SIGSTOP, a hang in native code) had its job handed
      // back by the supervisor: it must not hold this slot, nor finish a job that runs elsewhere.
      if (!killTimer && !handedBack && (await wasHandedBack(this.deps, jobId).catch(() => false))) {
        if (ended) return;
        handedBack = true;
        this.deps.log.warn(`job ${jobId} was handed back while its process ${child.pid} still ran; killing it`);
        child.kill('SIGKILL');
        return;
      }
      // The process's own heartbeats begin only once it has loaded (the job's modules: 1.5-5 s
      // measured through tsx on a loaded 2-core machine, less from the bundle) and opened its registry. Until then the
      // runner that started it beats for it, for one stale period: a process that is slow to
      // start is not handed back as lost, and one that never beats is still handed back, one
      // period later.
      if (!killTimer && !handedBack && Date.now() - handedAt < this.staleAfterMs) {
        await renewHeartbeat(this.deps, jobId).catch(() => {});
      }
    }, CANCEL_POLL_MS);
    return new Promise((resolve) => {
      const end = (exit: ProcessExit) => {
        ended = true;
        clearInterval(watch);
        clearTimeout(killTimer);
        child.off('exit', onExit);
        child.off('message', onMessage);
        this.running.delete(jobId);
        resolve(exit);
      };
      const onExit = async (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(killTimer);
        // What the process wrote last may still be in the pipe (a grandchild holding it open does not delay us long).
        await waitAtMost(proc.stderrEnded, 2000);
        // A job's success comes over IPC (onMessage); a process that exits 0 while its job runs
        // never told it (workers/job.ts exits so only between jobs, or on a SIGTERM there).
        const unreported = code === EXIT.ok;
        end({
          code: unreported ? null : code,
          signal,
          stderrTail: proc.stderrTail,
          cancelled: killTimer !== undefined,
          handedBack,
          unreported,
        });
      };
      // The job succeeded and the process waits for another: kept unless it was told to stop meanwhile or cannot take one.
      const onMessage = (message: JobProcessMessage) => {
        if (!('idle' in message) || message.idle !== jobId) return;
        const cancelled = killTimer !== undefined;
        end({ code: EXIT.ok, signal: null, stderrTail: proc.stderrTail, cancelled, handedBack, unreported: false });
        if (cancelled || handedBack || !message.reusable) this.retire(proc);
        else this.keepIdle(proc, message.rss);
      };
      child.on('exit', onExit);
      child.on('message', onMessage);
    });
  }

  private spawnProcess(entry: string, jobId: string): JobProcess {
    const env = childEnvironment({
      DATABASE_URL: this.options.databaseUrl,
      BONSAI_ARTIFACTS_DIR: this.options.artifactsDir,
      BONSAI_MODEL_ROOTS: this.options.modelRoots.join(':'),
      // The process beats at a fifth of the threshold this runner hands jobs back at
      // (workers/progress.ts heartbeatInterval), not rounded up; options.env (tests) still overrides it.
      BONSAI_JOB_STALE_SECONDS: String(Math.floor(this.staleAfterMs / 1000)),
      ...this.options.env,
    });
    // stderr passes through, and its end is kept: V8 says there why it aborted a process (out of memory).
    const child = spawn(process.execPath, [...JOB_NODE_FLAGS, entry, jobId], { env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    const stderrEnded = new Promise<void>((resolve) => {
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        process.stderr.write(chunk);
        proc.stderrTail = (proc.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      });
      child.stderr?.on('close', resolve);
    });
    const proc: JobProcess = { child, entry, jobs: 0, stderrTail: '', stderrEnded };
    this.processes.add(proc);
    child.once('exit', () => {
      this.processes.delete(proc);
      this.dropIdle(proc);
    });
    return proc;
  }

  /** An idle process of this build, if there is one; idle ones of an older build are ended. */
  private takeIdle(entry: string): JobProcess | undefined {
    for (const proc of [...this.idle]) {
      this.dropIdle(proc);
      if (proc.entry === entry && proc.child.connected) return proc;
      this.retire(proc);
    }
    return undefined;
  }

  private keepIdle(proc: JobProcess, rss: number): void {
    // A process started through tsx (no bundle) would go on running the sources it loaded: the
    // bundle's path changes with its sources, tsx's does not.
    const stale = proc.entry === TSX_ENTRY;
    if (this.stopping || stale || proc.jobs >= this.maxJobsPerProcess || !(rss < IDLE_PROCESS_MAX_RSS) || !proc.child.connected) {
      this.retire(proc);
      return;
    }
    proc.idleTimer = setTimeout(() => {
      this.dropIdle(proc);
      this.retire(proc);
    }, this.options.idleProcessMs ?? IDLE_PROCESS_MS);
    proc.idleTimer.unref();
    this.idle.push(proc);
  }

  private dropIdle(proc: JobProcess): void {
    clearTimeout(proc.idleTimer);
    proc.idleTimer = undefined;
    const i = this.idle.indexOf(proc);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Ends a process between jobs: closing its channel ends it (workers/job.ts); a kill if it has not in a few seconds. */
  private retire(proc: JobProcess): void {
    const { child } = proc;
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.disconnect();
    const kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    kill.unref();
    child.once('exit', () => clearTimeout(kill));
  }

  /** Stops taking jobs; running job processes are interrupted and their jobs go back to the queue. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.queue.boss.offWork(QUEUE).catch(() => {});
    for (const proc of [...this.idle]) {
      this.dropIdle(proc);
      this.retire(proc);
    }
    for (const proc of this.running.values()) proc.child.kill('SIGINT');
    const deadline = Date.now() + (this.options.stopGraceMs ?? 10_000);
    while (this.processes.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Returns once the killed processes are gone (or after 5 s: one stuck in the kernel), so that
    // what stops next (the queue, the database, a test's folders) is not still in their use.
    // A process leaves `processes` in its own 'exit' handler, so every one still here has yet to exit.
    const gone = [...this.processes].map(({ child }) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    });
    if (gone.length > 0) await waitAtMost(Promise.all(gone), 5000);
  }
}

/** Not a failure of the runner: pg-boss retries a job whose handler throws, with its backoff. */
class RetryScheduled extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} failed; retrying`);
    this.name = 'RetryScheduled';
  }
}
