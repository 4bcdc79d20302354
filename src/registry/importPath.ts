// Where a checkpoint may be imported from. The server reads the file system on a client's behalf,
// so a path is accepted only inside BONSAI_MODEL_ROOTS, after symlinks are resolved, and no file
// in the folder may be a link leading out of it (OWASP path traversal).
import { existsSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BadInputError, ForbiddenError } from '../errors.js';

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of an importable folder, or FORBIDDEN / BAD_USER_INPUT naming `path`. */
export async function resolveImportPath(path: string, roots: readonly string[]): Promise<string> {
  if (roots.length === 0) {
    throw new ForbiddenError('path: imports are disabled; set BONSAI_MODEL_ROOTS to the folders models may be imported from', {
      field: 'path',
    });
  }
  if (path.split(/[\\/]/).includes('..')) throw new ForbiddenError('path: ".." is not allowed in an import path', { field: 'path' });
  const absolute = resolve(path);
  const realRoots = await Promise.all(roots.filter((r) => existsSync(r)).map((r) => realpath(r)));
  if (!roots.some((r) => inside(r, absolute)) && !realRoots.some((r) => inside(r, absolute))) {
    throw new ForbiddenError(`path: ${path} is outside the allowed import roots (${roots.join(', ')})`, { field: 'path' });
  }
  if (!existsSync(absolute)) throw new BadInputError('path', `${path} does not exist`);
  const real = await realpath(absolute);
  const root = realRoots.find((r) => inside(r, real));
  if (!root) throw new ForbiddenError(`path: ${path} leads outside the allowed import roots through a symbolic link`, { field: 'path' });
  if (!(await stat(real)).isDirectory()) throw new BadInputError('path', `${path} is not a folder`);
  for (const entry of await readdir(real, { recursive: true, withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const target = await realpath(join(entry.parentPath, entry.name)).catch(() => null);
    if (target === null || !inside(real, target)) {
      throw new ForbiddenError(`path: ${join(entry.parentPath, entry.name)} is a link that leaves the folder`, { field: 'path' });
    }
  }
  return real;
}

/** The real path of a data file (evaluation text, calibration corpus) inside the allowed roots. */
export async function resolveDataFile(path: string, roots: readonly string[], field = 'data'): Promise<string> {
  if (path.split(/[\\/]/).includes('..')) throw new ForbiddenError(`${field}: ".." is not allowed in a data path`, { field });
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new BadInputError(field, `${path} does not exist`);
  const real = await realpath(absolute);
  const realRoots = await Promise.all(roots.filter((r) => existsSync(r)).map((r) => realpath(r)));
  if (!realRoots.some((r) => inside(r, real))) {
    throw new ForbiddenError(`${field}: ${path} is outside the allowed roots (${roots.join(', ') || 'none: set BONSAI_MODEL_ROOTS'})`, {
      field,
    });
  }
  if (!(await stat(real)).isFile()) throw new BadInputError(field, `${path} is not a file`);
  return real;
}
