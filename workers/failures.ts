// Which failures a retry can fix. A bad recipe or a broken checkpoint fails the same way every
// time, so it is not retried; a crash, a lost connection or a full disk may pass.
import { BonsaiError } from '../src/errors.js';

const PERMANENT = new Set(['BAD_USER_INPUT', 'BAD_CHECKPOINT', 'UNSUPPORTED_ARCHITECTURE', 'NOT_FOUND', 'CONFLICT', 'BAD_CONFIG']);

export function isPermanent(err: unknown): boolean {
  return err instanceof BonsaiError && PERMANENT.has(err.code);
}

/** Exit codes of a job process, read by the runner. */
export const EXIT = { ok: 0, retryable: 1, permanent: 3, cancelled: 4 } as const;
