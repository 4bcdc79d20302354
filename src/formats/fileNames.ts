// What one file name of a model repository may be. The Hub commit route checks every path of a
// commit segment by segment (src/registry/hubCommitBody.ts checkRepoPath, after git's verify_path
// in read-cache.c); a shard named by a registered checkpoint's index is a file of the same
// repository, served and downloaded by the same clients, so it obeys the same rule: no control
// character (a CR/LF in a name would split an HTTP header line), no slash or backslash, not `.`,
// `..` or `.git`, at most 255 bytes of UTF-8 (Linux's NAME_MAX: the name becomes a file on disk).

/** Bytes of one file name: Linux's NAME_MAX (limits.h). */
export const MAX_NAME_BYTES = 255;

/** Why `name` cannot be one file name of a repository, or null when it can. */
export function fileNameProblem(name: string): string | null {
  if (name === '' || name === '.' || name === '..' || name.toLowerCase() === '.git') return 'is not a file name';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f]/.test(name)) return 'must not contain control characters (CR, LF, NUL …)';
  if (/[\\/]/.test(name)) return 'must be a file name in the folder, without slashes or backslashes';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `has ${bytes} bytes, more than the ${MAX_NAME_BYTES} a file name may have (UTF-8)`;
  return null;
}
