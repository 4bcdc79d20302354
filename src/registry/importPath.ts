// Where a checkpoint may be imported from. The server reads the file system on a client's behalf,
// so a path is accepted only inside BONSAI_MODEL_ROOTS, after symlinks are resolved, and no file
// in the folder may be a link leading out of the roots (OWASP path traversal). Links that stay
// inside them are fine: a Hugging Face cache snapshot is a folder of links into ../../blobs/.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BadInputError, ForbiddenError } from '../errors.js';
import { dataFileTooLarge, MAX_DATA_FILE_BYTES } from '../formats/dataFile.js';
import { NotRegularFileError, OutsideRootsError, openRegular } from '../formats/regularFile.js';
import { followInside, inside, realRootsOf as realRootsWithGiven } from '../formats/roots.js';
import { locateUnderRoots } from './underRoots.js';

async function realRootsOf(roots: readonly string[]): Promise<string[]> {
  return (await realRootsWithGiven(roots)).map((r) => r.real);
}

/**
 * The real path of `path` once it is known to lie inside the roots. Containment is checked before
 * existence, on the path as written and again on the path with its links resolved, so a path
 * outside the roots gets the same answer whether or not something is there (OWASP: the server's
 * file system must not be probed through error messages).
 */
async function confine(path: string, roots: readonly string[], field: string, what: string): Promise<{ real: string }> {
  if (path.includes('\0')) throw new BadInputError(field, 'contains a NUL character');
  if (path.split(/[\\/]/).includes('..')) throw new ForbiddenError(`${field}: ".." is not allowed in ${what}`, { field });
  const outside = () =>
    new ForbiddenError(`${field}: ${path} is outside the allowed roots (${roots.join(', ') || 'none: set BONSAI_MODEL_ROOTS'})`, { field });
  const absolute = resolve(path);
  const realRoots = await realRootsOf(roots);
  if (!roots.some((r) => inside(resolve(r), absolute)) && !realRoots.some((r) => inside(r, absolute))) throw outside();
  // Walked without looking outside the roots: a link out is FORBIDDEN whether or not its target exists.
  const walk = await followInside(absolute, roots);
  if (walk.kind === 'outside') throw new OutsideRootsError(path, field, false);
  if (walk.kind === 'loop') throw new BadInputError(field, `${path} is a loop of symbolic links`);
  if (walk.kind === 'missing') throw new BadInputError(field, `${path} does not exist`);
  return { real: walk.real };
}

/** The real path of an importable folder, or FORBIDDEN / BAD_USER_INPUT naming `path`. */
export async function resolveImportPath(path: string, roots: readonly string[]): Promise<string> {
  if (roots.length === 0) {
    throw new ForbiddenError('path: imports are disabled; set BONSAI_MODEL_ROOTS to the folders models may be imported from', {
      field: 'path',
    });
  }
  // A relative path is a folder under the roots, as a data file's name is (resolveDataFile), never
  // one under the server's working folder, which a client cannot know: `tiny-llama-kjv` is
  // BONSAI_MODEL_ROOTS/tiny-llama-kjv (issue 32: it used to be refused as outside the roots).
  const located = path.includes('\0') || path.split(/[\\/]/).includes('..') ? path : await locateUnderRoots(path, roots);
  const { real } = await confine(located, roots, 'path', 'an import path');
  if (!(await stat(real)).isDirectory()) throw new BadInputError('path', `${path} is not a folder`);
  // Any link at the top leading out refuses the folder, even one to a file that is not imported.
  // Files deeper down (a sentence-transformers module's config.json) are checked where they are
  // opened: every file of a registration is opened by src/formats/regularFile.ts with the roots.
  for (const entry of await readdir(real, { withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    // A dangling link out is refused like a link to an existing outside file (the same answer).
    if ((await followInside(join(real, entry.name), roots)).kind === 'outside') {
      throw new OutsideRootsError(join(path, entry.name), 'path', false);
    }
  }
  return real;
}

/** The real path of a data file (evaluation text, calibration corpus) inside the allowed roots. */
export async function resolveDataFile(name: string, roots: readonly string[], field = 'data'): Promise<string> {
  // A name recorded relative to its import root (src/registry/dataNames.ts) is found under the roots
  // only, never in the server's working folder.
  const path = name.includes('\0') || name.split(/[\\/]/).includes('..') ? name : await locateUnderRoots(name, roots);
  const { real } = await confine(path, roots, field, 'a data path');
  // Through the one confined opener: fstat on the descriptor, so a FIFO is refused without blocking.
  const { handle, size } = await openRegular(real, { field, roots }).catch((err: unknown) => {
    if (!(err instanceof NotRegularFileError)) throw err;
    const problem = String(err.details.problem);
    throw new BadInputError(field, /regular|folder/.test(problem) ? `${path} is not a regular file` : `${path}: ${problem}`);
  });
  await handle.close();
  if (size > MAX_DATA_FILE_BYTES) throw dataFileTooLarge(path, size, field);
  return real;
}
