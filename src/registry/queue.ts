// The job queue: pg-boss in the same Postgres (pg-boss, like graphile-worker, delivers at least once, so handlers are
// idempotent). A Job row and its queue entry are written in one transaction (`enqueueIn`); the
// pg-boss job id is the Job row's id, so enqueueing twice is harmless (ON CONFLICT DO NOTHING)
// and `reconcile` can re-send any row whose entry is missing.
import PgBoss from 'pg-boss';
import type { PrismaClient } from '../db/client.js';
import type { Logger } from '../log.js';

export const QUEUE = 'bonsai-jobs';

export interface QueuedJobData {
  jobId: string;
}

/** Prisma's transaction client, seen only through the raw-SQL method pg-boss needs. */
export interface RawSql {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export interface QueueOptions {
  /** Retries after a failure that can pass (a crash, a lost connection); bad recipes are never retried. */
  retryLimit: number;
  retryDelaySeconds: number;
  /**
   * pg-boss 10 has no heartbeats: an active job is failed (and retried) only when it expires. Our
   * workers write Job.heartbeatAt every few seconds and the supervisor hands a job whose heartbeat
   * stopped back to the queue (`requeueStale`, src/registry/jobs/requeueStale.ts), so the expiry is
   * only the last safety net for very long jobs.
   */
  expireInSeconds: number;
}

export const defaultQueueOptions: QueueOptions = { retryLimit: 2, retryDelaySeconds: 5, expireInSeconds: 6 * 3600 };

export class JobQueue {
  readonly boss: PgBoss;
  private readonly options: QueueOptions;

  private constructor(boss: PgBoss, options: QueueOptions) {
    this.boss = boss;
    this.options = options;
  }

  /**
   * A send-only handle for job processes: follow-up jobs (a prune's evaluations) are enqueued in
   * the transaction that creates them, through that transaction's connection, so no pool, schema
   * check or maintenance loop of pg-boss is started here. Without it they would wait for the
   * runner's periodic reconcile.
   */
  static sender(url: string, options: Partial<QueueOptions> = {}): JobQueue {
    return new JobQueue(new PgBoss({ connectionString: url, max: 1, application_name: 'bonsai-job' }), {
      ...defaultQueueOptions,
      ...options,
    });
  }

  static async start(url: string, log: Logger, options: Partial<QueueOptions> = {}): Promise<JobQueue> {
    const opts = { ...defaultQueueOptions, ...options };
    const boss = new PgBoss({ connectionString: url, max: 4, application_name: 'bonsai-queue' });
    boss.on('error', (err) => log.warn(`queue: ${err instanceof Error ? err.message : String(err)}`));
    await boss.start();
    await boss.createQueue(QUEUE, {
      name: QUEUE,
      retryLimit: opts.retryLimit,
      retryDelay: opts.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: opts.expireInSeconds,
    });
    return new JobQueue(boss, opts);
  }

  /** Sends inside the caller's transaction: the entry exists exactly when the Job row commits. */
  async enqueueIn(tx: RawSql, jobId: string): Promise<void> {
    const db = {
      executeSql: async (text: string, values: unknown[]) => {
        const params = values.map((v) => (v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v));
        // biome-ignore lint/suspicious/noExplicitAny: pg-boss's Db interface types rows as any[].
        const rows = await tx.$queryRawUnsafe<any[]>(text, ...params);
        return { rows };
      },
    };
    await this.boss.send(QUEUE, { jobId } satisfies QueuedJobData, { id: jobId, db });
  }

  async enqueue(jobId: string): Promise<void> {
    await this.boss.send(QUEUE, { jobId } satisfies QueuedJobData, { id: jobId });
  }

  /** Fails an active entry so pg-boss retries it (used when its worker stopped heartbeating). */
  async fail(jobId: string, reason: string): Promise<void> {
    await this.boss.fail(QUEUE, jobId, { message: reason });
  }

  async cancel(jobId: string): Promise<void> {
    await this.boss.cancel(QUEUE, jobId).catch(() => {});
  }

  async entryState(jobId: string): Promise<string | null> {
    const job = await this.boss.getJobById(QUEUE, jobId);
    return job?.state ?? null;
  }

  /** Re-sends Job rows that are QUEUED but have no queue entry (written before a crash). */
  async reconcile(prisma: PrismaClient): Promise<number> {
    const rows = await prisma.$queryRaw<{ id: string }[]>`
      SELECT j.id::text AS id FROM "Job" j
      WHERE j.status = 'QUEUED' AND NOT EXISTS (SELECT 1 FROM pgboss.job q WHERE q.id = j.id)`;
    for (const r of rows) await this.enqueue(r.id);
    if (rows.length > 0) this.wake();
    return rows.length;
  }

  private readonly workerIds: string[] = [];

  /**
   * Takes entries one at a time. Polling finds work within half a second; a job committed by this
   * same process (the API beside its worker) wakes the worker at once through `wake`. After each
   * entry the worker looks for the next at once: pg-boss's loop otherwise waits out the rest of the
   * polling interval from its last fetch, so jobs shorter than half a second (a kept job process
   * runs a small prune in 0.15 s) went one per half second (`npm run bench:queue`: gaps of 355 ms).
   */
  async work(handler: (data: QueuedJobData) => Promise<void>): Promise<void> {
    let id: string | undefined;
    id = await this.boss.work<QueuedJobData>(QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([entry]) => {
      try {
        if (entry) await handler(entry.data);
      } finally {
        if (id) this.boss.notifyWorker(id);
      }
    });
    this.workerIds.push(id);
  }

  /** Call after the transaction that created jobs has committed (before, a worker would not see them). */
  wake(): void {
    for (const id of this.workerIds) this.boss.notifyWorker(id);
  }

  get settings(): QueueOptions {
    return this.options;
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
