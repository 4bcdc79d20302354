// The worker runner: takes jobs from pg-boss and runs each in its own process (main.ts), watches
// it for cancellation, and turns its exit into the Job row's final state. Beside that it
// supervises the whole fleet: a RUNNING job whose heartbeat stopped (its worker was killed) is
// handed back to the queue, QUEUED rows without a queue entry are re-sent, and orphaned temp
// folders and unreferenced blobs are removed.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnvironment } from '../src/config.js';
import type { RegistryDeps } from '../src/registry/deps.js';
import { cancelRequested, findJob, finishAttempt, isFinished, requeueStale, startJob, waitingRetries } from '../src/registry/jobs/index.js';
import type { JobQueue } from '../src/registry/queue.js';
import { QUEUE } from '../src/registry/queue.js';
import { cleanup } from './cleanup.js';
import { EXIT, outcomeOf } from './failures.js';

const ENTRY = fileURLToPath(new URL('./entry.mjs', import.meta.url));
const CANCEL_POLL_MS = 2000;
const KILL_AFTER_MS = 6000;

export interface RunnerOptions {
  concurrency: number;
  databaseUrl: string;
  artifactsDir: string;
  modelRoots: readonly string[];
  /** A RUNNING job whose heartbeat is older than this has lost its worker (BONSAI_JOB_STALE_SECONDS). */
  staleAfterMs?: number;
  /** Extra environment for job processes (tests). */
  env?: Record<string, string>;
}

export class Runner {
  private readonly children = new Set<ChildProcess>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private readonly staleAfterMs: number;

  constructor(
    private readonly deps: RegistryDeps,
    private readonly queue: JobQueue,
    private readonly options: RunnerOptions,
  ) {
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
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
    const { prisma, log } = this.deps;
    for (const job of await requeueStale(prisma, this.staleAfterMs)) {
      log.warn(`job ${job.id} lost its worker; handing it back to the queue`);
      await this.queue.fail(job.id, 'worker lost');
      if ((await this.queue.entryState(job.id)) === 'failed' || job.attempts >= job.maxAttempts) {
        await finishAttempt(prisma, job.id, 'retryable', true);
      }
    }
    // A job handed back while its worker was shutting down can leave its queue entry active with
    // nobody on it: fail the entry so pg-boss schedules the retry.
    for (const id of await waitingRetries(prisma, 2 * this.staleAfterMs)) {
      if ((await this.queue.entryState(id)) === 'active') await this.queue.fail(id, 'worker stopped');
    }
  }

  private async run(jobId: string): Promise<void> {
    const { prisma, log } = this.deps;
    const job = await findJob(prisma, jobId).catch(() => null);
    if (!job || isFinished(job.status)) return;
    if (job.cancelRequested) {
      await finishAttempt(prisma, jobId, 'cancelled', true);
      return;
    }
    if (!(await startJob(prisma, jobId))) return;
    const code = await this.runProcess(jobId);
    const final = await finishAttempt(prisma, jobId, outcomeOf(code), false);
    // Thrown so pg-boss schedules the retry with its backoff; the row says QUEUED meanwhile.
    if (final === 'QUEUED') throw new RetryScheduled(jobId);
    log.info(`job ${jobId} ${final.toLowerCase()}`);
  }

  private runProcess(jobId: string): Promise<number> {
    const env = childEnvironment({
      DATABASE_URL: this.options.databaseUrl,
      BONSAI_ARTIFACTS_DIR: this.options.artifactsDir,
      BONSAI_MODEL_ROOTS: this.options.modelRoots.join(':'),
      ...this.options.env,
    });
    const child = spawn(process.execPath, [ENTRY, jobId], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.children.add(child);
    let killTimer: NodeJS.Timeout | undefined;
    const watch = setInterval(async () => {
      const asked = await cancelRequested(this.deps, jobId).catch(() => false);
      if (asked && !killTimer) {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      }
    }, CANCEL_POLL_MS);
    return new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        clearInterval(watch);
        clearTimeout(killTimer);
        this.children.delete(child);
        resolve(killTimer ? EXIT.cancelled : signal ? EXIT.retryable : (code ?? EXIT.retryable));
      });
    });
  }

  /** Stops taking jobs; running job processes are interrupted and their jobs go back to the queue. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.queue.boss.offWork(QUEUE).catch(() => {});
    for (const child of this.children) child.kill('SIGINT');
    const deadline = Date.now() + 10_000;
    while (this.children.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const child of this.children) child.kill('SIGKILL');
  }
}

/** Not a failure of the runner: pg-boss retries a job whose handler throws, with its backoff. */
class RetryScheduled extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} failed; retrying`);
    this.name = 'RetryScheduled';
  }
}
