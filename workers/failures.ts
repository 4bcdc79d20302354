// Which failures a retry can fix, decided here and nowhere else. A bad recipe or payload, a broken
// checkpoint or tokenizer, a missing checkpoint, a data file over the size limit fail the same way
// every time, and a full disk stays full for the seconds pg-boss waits before a retry, so those
// fail at once with their reason; a crash, a lost connection or a killed worker may pass, and are
// retried.
import { BonsaiError } from '../src/errors.js';

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

/** Exit codes of a job process, read by the runner. */
export const EXIT = { ok: 0, retryable: 1, permanent: 3, cancelled: 4 } as const;

/** The attempt's outcome from the job process's exit code (src/registry/jobs/finish.ts). */
export function outcomeOf(code: number): 'succeeded' | 'retryable' | 'permanent' | 'cancelled' {
  if (code === EXIT.ok) return 'succeeded';
  if (code === EXIT.cancelled) return 'cancelled';
  if (code === EXIT.permanent) return 'permanent';
  return 'retryable';
}
