// Containment in the import roots (BONSAI_MODEL_ROOTS): where a path really leads, found without
// looking at anything outside the roots. realpath(3) cannot say where a link to a missing file
// points, so a dangling link out of a root would be "missing" while a link to an existing outside
// file is refused — an answer that probes the server's file system (OWASP path traversal). This
// walk resolves one component at a time, as the kernel does (path_resolution(7)), and stops at the
// first component outside the roots: a link out is "outside" whether or not its target exists.
import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';

/** Linux's limit on links followed in one lookup (MAXSYMLINKS, path_resolution(7)): more is ELOOP. */
const MAX_LINKS = 40;

/** Whether `path` is `root` or below it; both absolute and normalised. */
export function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The roots with their links resolved, each beside the root as given; roots that do not exist are dropped. */
export async function realRootsOf(roots: readonly string[]): Promise<Array<{ given: string; real: string }>> {
  const real = await Promise.all(roots.map((r) => realpath(r).catch(() => null)));
  return roots.flatMap((r, i) => (real[i] ? [{ given: resolve(r), real: real[i] }] : []));
}

export type Walk =
  /** Inside the roots all the way; `real` is the path with every link resolved. */
  | { kind: 'inside'; real: string }
  /** Outside the roots as written (`lexically`), or led out by a link. */
  | { kind: 'outside'; lexically: boolean }
  /** A component is missing (or is a file where a folder is needed), inside the roots. */
  | { kind: 'missing' }
  /** More than MAX_LINKS links, all inside the roots. */
  | { kind: 'loop' };

/**
 * Where `path` leads, never calling lstat or readlink on a path outside the roots. `..` in the
 * path itself is the caller's business (refused at the API); `..` in a link target is followed.
 */
export async function followInside(path: string, roots: readonly string[]): Promise<Walk> {
  const absolute = resolve(path);
  const realRoots = await realRootsOf(roots);
  const start = realRoots.find((r) => inside(r.given, absolute)) ?? realRoots.find((r) => inside(r.real, absolute));
  if (!start) return { kind: 'outside', lexically: true };
  const base = inside(start.given, absolute) ? start.given : start.real;
  const within = (p: string) => realRoots.some((r) => inside(r.real, p));
  // An absolute link target walks down from `/` through the roots' own ancestors: those may be looked at.
  const onTheWay = (p: string) => within(p) || realRoots.some((r) => inside(p, r.real));
  let current = start.real;
  const todo = relative(base, absolute).split(sep).filter(Boolean);
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    if (!onTheWay(next)) return { kind: 'outside', lexically: false };
    const s = await lstat(next).catch(() => null);
    if (s === null) return { kind: 'missing' };
    if (s.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { kind: 'loop' };
      const target = await readlink(next);
      if (isAbsolute(target)) current = parse(target).root;
      todo.unshift(...target.split(/[\\/]/).filter(Boolean));
      continue;
    }
    if (todo.length > 0 && !s.isDirectory()) return { kind: 'missing' };
    current = next;
  }
  return within(current) ? { kind: 'inside', real: current } : { kind: 'outside', lexically: false };
}
