// The server's lookup of a data-file name under the import roots (src/registry/dataNames.ts says
// how names are recorded). A module of its own, importing nothing of the recipes: the evaluate
// job reaches it through src/registry/dataStaging.ts, and dataNames.ts's recipe helpers made every
// evaluation process build each method's field list from its JSON Schema at load (issue 28).
import { lstat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

/**
 * The server's lookup of a data file (src/registry/importPath.ts resolveDataFile): an absolute name
 * as written, a relative one only under the roots, never the server's working folder (where
 * `package.json` would shadow a root's file and an error would show the install path). The first
 * root holding an entry of that name wins, a link counting whatever it points at (lstat), so a
 * dangling link and a link to an existing file get the same answer; if no root holds one, the
 * first root's candidate, so the error names a path under a root.
 */
export async function locateUnderRoots(name: string, roots: readonly string[]): Promise<string> {
  if (isAbsolute(name) || roots.length === 0) return resolve(name);
  const candidates = roots.map((root) => resolve(root, ...name.split('/')));
  for (const candidate of candidates) {
    if (
      await lstat(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return candidates[0]!;
}
