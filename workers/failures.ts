// Which failures a retry can fix. A bad recipe, a broken checkpoint or tokenizer, a data file over
// the size limit fail the same way every time, and a full disk stays full for the seconds pg-boss
// waits before a retry, so those fail at once with their reason; a crash, a lost connection or a
// killed worker may pass, and are retried.
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

/** Exit codes of a job process, read by the runner. */
export const EXIT = { ok: 0, retryable: 1, permanent: 3, cancelled: 4 } as const;
