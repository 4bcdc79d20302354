// Where a checkpoint may be imported from. The server reads the file system on a client's behalf,
// so a path is accepted only inside BONSAI_MODEL_ROOTS, after symlinks are resolved, and no file
// in the folder may be a link leading out of the roots (OWASP path traversal). Links that stay
// inside them are fine: a Hugging Face cache snapshot is a folder of links into ../../blobs/.
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
