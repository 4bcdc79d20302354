// How data files (calibration text, vocabulary corpora) are named in what Bonsai records and
// shows: relative to the import root that holds them (`kjv/train.txt`), never by a server path
// (OWASP: responses must not disclose server paths; the recipe is public on every card). A name
// is found again by looking it up as written, then under each import root in turn, so the same
// recipe runs in a worker on another machine with its own roots, and a card's reproduce command
// runs as printed from any folder.
import { access, realpath } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { mapDataFiles } from '../recipes/dataFiles.js';

export { mapDataFiles, mapDataFilesAsync } from '../recipes/dataFiles.js';
export { locateUnderRoots } from './underRoots.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The data file's name relative to the (real) root holding it; the file name alone if none does. */
export function dataNameUnder(real: string, realRoots: readonly string[]): string {
  // The most specific root, for roots nested in one another.
  const holders = realRoots
    .map((root) => relative(root, real))
    .filter((rel) => rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))
    .sort((a, b) => a.length - b.length);
  return (holders[0] ?? basename(real)).split(sep).join('/');
}

/**
 * The CLI's lookup of a data file (its user's own folders): as written when it exists (relative to
 * the current folder), else under the first root holding it.
 */
export async function locateDataFile(name: string, roots: readonly string[]): Promise<string> {
  if (isAbsolute(name) || (await exists(name))) return resolve(name);
  for (const root of roots) {
    const candidate = join(root, ...name.split('/'));
    if (await exists(candidate)) return candidate;
  }
  return resolve(name);
}

/**
 * A recorded recipe as anyone may see it: a data file recorded by an absolute path (by versions
 * before names were recorded relative to their root) is shown by its file name.
 */
export function publicRecipe<R extends object>(recipe: R): R {
  return mapDataFiles(recipe, (name) => (isAbsolute(name) ? basename(name) : name));
}

/** The real paths of the roots that exist (stored names are relative to these). */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((r) => realpath(r).catch(() => null)));
  return real.filter((r): r is string => r !== null);
}
