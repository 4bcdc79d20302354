// Which failures a retry can fix, decided here and nowhere else. A bad recipe or payload, a broken
// checkpoint or tokenizer, a missing checkpoint, a data file over the size limit fail the same way
// every time, and a full disk stays full for the seconds pg-boss waits before a retry, so those
// fail at once with their reason; a crash, a lost connection or a killed worker may pass, and are
// retried.
import { BonsaiError } from '../src/errors.js';
import type { JobFailure } from '../src/registry/jobs/index.js';

const PERMANENT = new Set([
  'BAD_USER_INPUT',
  'BAD_CHECKPOINT',
  'UNSUPPORTED_ARCHITECTURE',
  'NOT_FOUND',
  'CONFLICT',
  'BAD_CONFIG',
  'STORAGE_FULL',
]);
/** Operating-system errors no retry fixes: no space, no quota, a file too large for the file system. */
const PERMANENT_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

export function isPermanent(err: unknown): boolean {
  if (err instanceof BonsaiError) return PERMANENT.has(err.code);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && PERMANENT_ERRNO.has(code);
}

/** A job row whose payload its task's schema refuses (edited by hand, or written by another version). */
export class BadPayloadError extends BonsaiError {
  constructor(kind: string, problem: string) {
    super('BAD_USER_INPUT', `the ${kind} job's payload is not valid: ${problem}`, { field: 'payload' });
  }
}

/** A job kind this version has no task for. */
export class UnknownTaskError extends BonsaiError {
  constructor(kind: string) {
    super('BAD_CONFIG', `no task handles ${kind} jobs in this version of Bonsai`, { kind });
  }
}

/** What a thrown error says about the job: its BonsaiError code, STORAGE_FULL for a full disk, else INTERNAL_ERROR. */
export function failureOf(err: Error): JobFailure {
  if (err instanceof BonsaiError) return { code: err.code, message: err.message };
  const errno = (err as NodeJS.ErrnoException).code;
  if (typeof errno === 'string' && PERMANENT_ERRNO.has(errno)) return { code: 'STORAGE_FULL', message: err.message };
  return { code: 'INTERNAL_ERROR', message: err.message || err.name || 'an error without a message' };
}

// The line Node prints before it aborts a process whose V8 heap is full (node's OOMErrorHandler:
// "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", or
// "Ineffective mark-compacts near heap limit …"; newer V8 prints "Fatal JavaScript out of memory:
// …"). A whole line at its start, so a log line quoting the phrase does not count.
const V8_OUT_OF_MEMORY =
  /^(?:FATAL ERROR: .*(?:JavaScript heap out of memory|heap limit).*|#? ?Fatal (?:JavaScript|process) out of memory.*)$/m;

/**
 * How a job process that ended on its own terms (not cancelled) ended: its exit code or signal and
 * the end of what it wrote to stderr. A process that ran out of V8's heap fails at once (the same
 * input meets the same limit on every attempt); one killed by a signal (an operator's kill -9, the
 * kernel's out-of-memory killer, a lost machine) may pass on another attempt; one that exited
 * without recording why (the failure itself recorded by the process is kept) is a crash.
 */
export function exitFailure(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: string,
): { outcome: ReturnType<typeof outcomeOf>; failure?: JobFailure } {
  if (code === EXIT.ok) return { outcome: 'succeeded' };
  const oom = V8_OUT_OF_MEMORY.exec(stderrTail);
  if (oom) {
    return {
      outcome: 'permanent',
      failure: {
        code: 'OUT_OF_MEMORY',
        message:
          `the job ran out of memory (V8: "${oom[0].trim()}"); give it less to hold at once (fewer calibration samples, ` +
          'a smaller corpus) or run the workers with a larger heap (NODE_OPTIONS=--max-old-space-size=MB)',
      },
    };
  }
  if (signal) {
    const why = signal === 'SIGKILL' ? ' (by hand, or by the kernel when the machine ran out of memory)' : '';
    return { outcome: 'retryable', failure: { code: 'KILLED', message: `the job process was killed by ${signal}${why}` } };
  }
  const outcome = outcomeOf(code ?? EXIT.retryable);
  if (outcome === 'succeeded' || outcome === 'cancelled') return { outcome };
  return {
    outcome,
    failure: { code: 'CRASHED', message: `the job process exited with code ${code} before recording why (see the worker's log)` },
  };
}

/** Exit codes of a job process, read by the runner. */
export const EXIT = { ok: 0, retryable: 1, permanent: 3, cancelled: 4 } as const;

/** The attempt's outcome from the job process's exit code (src/registry/jobs/finish.ts). */
export function outcomeOf(code: number): 'succeeded' | 'retryable' | 'permanent' | 'cancelled' {
  if (code === EXIT.ok) return 'succeeded';
  if (code === EXIT.cancelled) return 'cancelled';
  if (code === EXIT.permanent) return 'permanent';
  return 'retryable';
}
