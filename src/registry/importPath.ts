// Where a checkpoint may be imported from. The server reads the file system on a client's behalf,
// so a path is accepted only inside BONSAI_MODEL_ROOTS, after symlinks are resolved, and no file
// in the folder may be a link leading out of the roots (OWASP path traversal). Links that stay
// inside them are fine: a Hugging Face cache snapshot is a folder of links into ../../blobs/.
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BadInputError, ForbiddenError } from '../errors.js';
import { dataFileTooLarge, MAX_DATA_FILE_BYTES } from '../formats/dataFile.js';

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function realRootsOf(roots: readonly string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((r) => realpath(r).catch(() => null)));
  return real.filter((r): r is string => r !== null);
}

/**
 * The real path of `path` once it is known to lie inside the roots. Containment is checked before
 * existence, on the path as written and again on the path with its links resolved, so a path
 * outside the roots gets the same answer whether or not something is there (OWASP: the server's
 * file system must not be probed through error messages).
 */
async function confine(
  path: string,
  roots: readonly string[],
  field: string,
  what: string,
): Promise<{ real: string; realRoots: string[] }> {
  if (path.includes('\0')) throw new BadInputError(field, 'contains a NUL character');
  if (path.split(/[\\/]/).includes('..')) throw new ForbiddenError(`${field}: ".." is not allowed in ${what}`, { field });
  const outside = () =>
    new ForbiddenError(`${field}: ${path} is outside the allowed roots (${roots.join(', ') || 'none: set BONSAI_MODEL_ROOTS'})`, { field });
  const absolute = resolve(path);
  const realRoots = await realRootsOf(roots);
  if (!roots.some((r) => inside(resolve(r), absolute)) && !realRoots.some((r) => inside(r, absolute))) throw outside();
  const real = await realpath(absolute).catch(() => null);
  if (real === null) throw new BadInputError(field, `${path} does not exist`);
  if (!realRoots.some((r) => inside(r, real))) {
    throw new ForbiddenError(`${field}: ${path} leads outside the allowed roots through a symbolic link`, { field });
  }
  return { real, realRoots };
}

/** The real path of an importable folder, or FORBIDDEN / BAD_USER_INPUT naming `path`. */
export async function resolveImportPath(path: string, roots: readonly string[]): Promise<string> {
  if (roots.length === 0) {
    throw new ForbiddenError('path: imports are disabled; set BONSAI_MODEL_ROOTS to the folders models may be imported from', {
      field: 'path',
    });
  }
  const { real, realRoots } = await confine(path, roots, 'path', 'an import path');
  if (!(await stat(real)).isDirectory()) throw new BadInputError('path', `${path} is not a folder`);
  // Only the top of the folder is imported (src/formats/checkpoint/files.ts), so only its links matter.
  for (const entry of await readdir(real, { withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const target = await realpath(join(real, entry.name)).catch(() => null);
    if (target !== null && !realRoots.some((r) => inside(r, target))) {
      throw new ForbiddenError(`path: ${join(path, entry.name)} is a link leading outside the allowed import roots`, { field: 'path' });
    }
  }
  return real;
}

/** The real path of a data file (evaluation text, calibration corpus) inside the allowed roots. */
export async function resolveDataFile(path: string, roots: readonly string[], field = 'data'): Promise<string> {
  const { real } = await confine(path, roots, field, 'a data path');
  const s = await stat(real);
  if (!s.isFile()) throw new BadInputError(field, `${path} is not a regular file`);
  if (s.size > MAX_DATA_FILE_BYTES) throw dataFileTooLarge(path, s.size, field);
  return real;
}
