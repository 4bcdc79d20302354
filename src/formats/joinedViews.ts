// Files a job's checkout did not write out (src/storage/store.ts, `checkout` with `inPlace`): the
// path holds an empty, read-only placeholder, and SafetensorsFile reads the file's pieces in
// place, as one joined file (joinedFile.ts). Kept in this process's memory only, never in a file:
// a file that could name other files would let an uploaded checkpoint read the server's. A view
// answers only while its path is still its placeholder (the same inode, empty): a checkout
// removed and a new file written at the same path is read as itself.
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { JoinedPart } from './joinedFile.js';

interface View {
  parts: readonly JoinedPart[];
  dev: number;
  ino: number;
}

const views = new Map<string, View>();

/** Makes the placeholder at `path` (already written) read as `parts`. */
export async function addJoinedView(path: string, parts: readonly JoinedPart[]): Promise<void> {
  const s = await stat(path);
  views.set(resolve(path), { parts, dev: s.dev, ino: s.ino });
}

/** The parts of a file checked out in place, or undefined for any other path. */
export async function joinedViewOf(path: string): Promise<readonly JoinedPart[] | undefined> {
  const key = resolve(path);
  const view = views.get(key);
  if (!view) return undefined;
  const s = await stat(path).catch(() => null);
  if (s?.dev === view.dev && s.ino === view.ino && s.size === 0) return view.parts;
  views.delete(key);
  return undefined;
}

/** Forgets the views of files under `dir` (the checkout is being removed). */
export function dropJoinedViews(dir: string): void {
  const prefix = resolve(dir) + sep;
  for (const path of views.keys()) if (path.startsWith(prefix)) views.delete(path);
}
