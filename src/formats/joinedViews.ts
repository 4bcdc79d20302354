// Files a job's checkout did not write out (src/storage/store.ts, `checkout` with `inPlace`): the
// path holds an empty, read-only placeholder, and SafetensorsFile reads the file's pieces in
// place, as one joined file (joinedFile.ts). Kept in this process's memory only, never in a file:
// a file that could name other files would let an uploaded checkpoint read the server's.
import { resolve, sep } from 'node:path';
import type { JoinedPart } from './joinedFile.js';

const views = new Map<string, readonly JoinedPart[]>();

export function addJoinedView(path: string, parts: readonly JoinedPart[]): void {
  views.set(resolve(path), parts);
}

/** The parts of a file checked out in place, or undefined for any other path. */
export function joinedViewOf(path: string): readonly JoinedPart[] | undefined {
  return views.get(resolve(path));
}

/** Forgets the views of files under `dir` (the checkout is being removed). */
export function dropJoinedViews(dir: string): void {
  const prefix = resolve(dir) + sep;
  for (const path of views.keys()) if (path.startsWith(prefix)) views.delete(path);
}
