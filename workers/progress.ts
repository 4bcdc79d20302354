// What a running job tells the API: stage, progress (0..1), the last log lines and a heartbeat.
// Writes are throttled to one a second, and a timer writes at least every few seconds, so
// clients polling `job { progress heartbeatAt }` always see movement (issue: "at least every 5 s").
// The writes themselves are the registry's (src/registry/jobs/progress.ts).
import { Worker } from 'node:worker_threads';
import type { Logger } from '../src/log.js';
import type { RegistryDeps } from '../src/registry/deps.js';
// The module itself, not the jobs index: that re-exports job creation, whose payload schemas import
// every pruning method, and this file is loaded by every job process before its task (issue 28).
import { appendLog, HEARTBEAT_SQL, reportProgress } from '../src/registry/jobs/progress.js';
import { waitAtMost } from './waitAtMost.js';

/** How often a job process beats with the default BONSAI_JOB_STALE_SECONDS (30). */
export const HEARTBEAT_MS = 3000;

/**
 * The beat interval for a stale threshold: five beats or more per threshold, so one beat delayed
 * by a loaded database or a pause is not taken for a lost worker (at the smallest threshold the
 * configuration allows, 5 s, a 3 s beat left one late beat between a healthy job and its hand-back);
 * HEARTBEAT_MS from a threshold of 15 s up.
 */
export function heartbeatInterval(staleSeconds: number): number {
  return Math.min(HEARTBEAT_MS, Math.floor((staleSeconds * 1000) / 5));
}

/**
 * A job process's heartbeat thread (workers/heartbeatThread.mjs): its own connection, beating for
 * the job the process runs now. One serves every job of a process (workers/job.ts).
 */
export class HeartbeatThread {
  private readonly worker: Worker;
  private exited = false;
  private pauses = 0;

  constructor(databaseUrl: string, log: Logger) {
    this.worker = new Worker(new URL('./heartbeatThread.mjs', import.meta.url), { workerData: { databaseUrl, sql: HEARTBEAT_SQL } });
    this.worker.on('error', (err) => log.warn(`heartbeat thread: ${String(err)}`));
    this.worker.once('exit', () => {
      this.exited = true;
    });
    this.worker.unref();
  }

  /** Whether it still runs: a process whose thread ended takes no further job (workers/job.ts). */
  get alive(): boolean {
    return !this.exited;
  }

  /** Beats for `jobId` every `everyMs` from now on, and no more for the job before it. */
  beatFor(jobId: string, everyMs: number): void {
    this.worker.postMessage({ jobId, everyMs });
  }

  /** No more beats: resolves once none for the last job can still be written (2 s at most). */
  async pause(): Promise<void> {
    if (this.exited) return;
    const pause = ++this.pauses;
    let onMessage: (m: { paused?: number }) => void = () => {};
    const paused = new Promise<void>((resolve) => {
      onMessage = (m) => {
        if (m?.paused === pause) resolve();
      };
      this.worker.on('message', onMessage);
    });
    this.worker.postMessage({ jobId: null, pause });
    await waitAtMost(paused, 2000);
    this.worker.off('message', onMessage);
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage('stop');
    await waitAtMost(exited, 2000);
  }
}

export class JobReporter {
  private stage: string | null = null;
  private progress = 0;
  private dirty = false;
  private lastWrite = 0;
  private timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  /**
   * `heartbeat`: the process's heartbeat thread, which beats for this job until `close`;
   * `everyMs`: the beat interval (heartbeatInterval of the job's stale threshold).
   */
  constructor(
    private readonly deps: Pick<RegistryDeps, 'prisma'>,
    readonly jobId: string,
    private readonly log: Logger,
    private readonly heartbeat: HeartbeatThread | null = null,
    readonly everyMs: number = HEARTBEAT_MS,
  ) {
    this.timer = setInterval(() => this.flush(true), everyMs);
    this.timer.unref();
    heartbeat?.beatFor(jobId, everyMs);
  }

  update(stage: string, progress: number): void {
    const p = Math.min(1, Math.max(0, progress));
    if (stage !== this.stage) this.note(`stage: ${stage}`);
    this.stage = stage;
    this.progress = Math.max(this.progress, p);
    this.dirty = true;
    if (Date.now() - this.lastWrite >= 1000) this.flush(false);
  }

  note(line: string): void {
    this.log.info(line);
    const text = `${new Date().toISOString()} ${line}`;
    this.writing = this.writing
      .then(() => appendLog(this.deps, this.jobId, text))
      .catch((err: unknown) => this.log.warn(`could not write the job log: ${String(err)}`));
  }

  private flush(heartbeat: boolean): void {
    if (!this.dirty && !heartbeat) return;
    this.dirty = false;
    this.lastWrite = Date.now();
    const p = { stage: this.stage, progress: this.progress };
    this.writing = this.writing
      .then(() => reportProgress(this.deps, this.jobId, p))
      .catch((err: unknown) => this.log.warn(`could not write job progress: ${String(err)}`));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.heartbeat?.pause();
    this.flush(false);
    await this.writing;
  }
}
