// The data files the import roots hold (calibration text, vocabulary corpora, evaluation text), so
// a form can offer them instead of asking for a typed path. Each is named as Bonsai records data
// files, relative to its import root (src/registry/dataNames.ts: `kjv/val.txt`), never by a
// server path; spawn and evaluate find such a name under the roots again (locateUnderRoots).
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { RegistryDeps } from './deps.js';

/** Text formats the data fields read: plain text (perplexity, calibration, corpora) and JSON Lines (tasks). */
export const DATA_EXTENSIONS: readonly string[] = ['.txt', '.jsonl'];
/** How deep below a root the walk looks, and how many files it returns at most (a form, not an index). */
export const MAX_DATA_DEPTH = 4;
export const MAX_DATA_FILES = 500;

export interface DataFile {
  /** Relative to its root, `/`-separated. */
  name: string;
  size: bigint;
}

/**
 * Regular files with a data extension under the import roots, by name; a name two roots both hold
 * is listed once (the first root's, which is the one a lookup finds). Links are not followed (a
 * link could lead out of the roots), nor hidden entries (`.git`, `.cache`) read.
 */
export async function listDataFiles(deps: Pick<RegistryDeps, 'modelRoots'>): Promise<DataFile[]> {
  const found = new Map<string, DataFile>();
  const walk = async (root: string, rel: string[], depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, ...rel), { withFileTypes: true });
    } catch {
      return; // a root that is missing or unreadable holds nothing to offer
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (found.size >= MAX_DATA_FILES) return;
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory() && depth < MAX_DATA_DEPTH) await walk(root, [...rel, e.name], depth + 1);
      else if (e.isFile() && DATA_EXTENSIONS.includes(extname(e.name).toLowerCase())) {
        const name = [...rel, e.name].join('/');
        if (found.has(name)) continue;
        const { size } = await lstat(join(root, ...rel, e.name), { bigint: true });
        found.set(name, { name, size });
      }
    }
  };
  for (const root of deps.modelRoots) await walk(root, [], 0);
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
