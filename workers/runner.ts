// The worker runner: takes jobs from pg-boss and runs each in its own process (main.ts), watches
// it for cancellation, and turns its exit into the Job row's final state. Beside that it
// supervises the whole fleet: a RUNNING job whose heartbeat stopped (its worker was killed) is
// handed back to the queue, QUEUED rows without a queue entry are re-sent, and orphaned temp
// folders and unreferenced blobs are removed.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RegistryDeps } from '../src/registry/deps.js';
import type { JobQueue } from '../src/registry/queue.js';
import { QUEUE } from '../src/registry/queue.js';
import { cleanup } from './cleanup.js';
import { EXIT } from './failures.js';
import { finishJob } from './finish.js';

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
    const stale = await prisma.job.findMany({
      where: { status: 'RUNNING', heartbeatAt: { lt: new Date(Date.now() - this.staleAfterMs) } },
    });
    for (const job of stale) {
      const taken = await prisma.job.updateMany({
        where: { id: job.id, status: 'RUNNING', heartbeatAt: job.heartbeatAt },
        data: { status: 'QUEUED', stage: 'waiting to retry', error: 'the worker running this job stopped (no heartbeat); retrying' },
      });
      if (taken.count === 0) continue;
      log.warn(`job ${job.id} lost its worker; handing it back to the queue`);
      await this.queue.fail(job.id, 'worker lost');
      if ((await this.queue.entryState(job.id)) === 'failed' || job.attempts >= job.maxAttempts) {
        await finishJob(this.deps, job.id, EXIT.retryable, true);
      }
    }
    // A job handed back while its worker was shutting down can leave its queue entry active with
    // nobody on it: fail the entry so pg-boss schedules the retry.
    const waiting = await prisma.job.findMany({
      where: { status: 'QUEUED', startedAt: { not: null }, updatedAt: { lt: new Date(Date.now() - 2 * this.staleAfterMs) } },
      select: { id: true },
    });
    for (const { id } of waiting) {
      if ((await this.queue.entryState(id)) === 'active') await this.queue.fail(id, 'worker stopped');
    }
  }

  private async run(jobId: string): Promise<void> {
    const { prisma, log } = this.deps;
    const job = await prisma.job.findUnique({ where: { id: jobId } });
    if (!job || job.status === 'SUCCEEDED' || job.status === 'FAILED' || job.status === 'CANCELLED') return;
    if (job.cancelRequested) {
      await finishJob(this.deps, jobId, EXIT.cancelled, true);
      return;
    }
    const started = await prisma.job.updateMany({
      where: { id: jobId, status: { in: ['QUEUED', 'RUNNING'] } },
      data: {
        status: 'RUNNING',
        attempts: { increment: 1 },
        startedAt: new Date(),
        heartbeatAt: new Date(),
        error: null,
        stage: 'starting',
      },
    });
    if (started.count === 0) return;
    const code = await this.runProcess(jobId);
    const final = await finishJob(this.deps, jobId, code, false);
    // Thrown so pg-boss schedules the retry with its backoff; the row says QUEUED meanwhile.
    if (final === 'QUEUED') throw new Error(`job ${jobId} failed; retrying`);
    log.info(`job ${jobId} ${final.toLowerCase()}`);
  }

  private runProcess(jobId: string): Promise<number> {
    const env = {
      ...process.env,
      DATABASE_URL: this.options.databaseUrl,
      BONSAI_ARTIFACTS_DIR: this.options.artifactsDir,
      BONSAI_MODEL_ROOTS: this.options.modelRoots.join(':'),
      ...this.options.env,
    };
    const child = spawn(process.execPath, [ENTRY, jobId], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.children.add(child);
    let killTimer: NodeJS.Timeout | undefined;
    const watch = setInterval(async () => {
      const row = await this.deps.prisma.job.findUnique({ where: { id: jobId }, select: { cancelRequested: true } }).catch(() => null);
      if (row?.cancelRequested && !killTimer) {
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
