// Evaluation results of a local checkpoint folder, so that `bonsai card DIR` shows what `bonsai
// eval DIR` measured. An evaluation never writes into the folder it reads (a user's input, or a
// shared one): results go to Bonsai's own data folder, one file per checkpoint folder
// (`<BONSAI_HOME>/eval-results/<sha256 of its real path>.json`), or to the file `--output` names.
// Each file records the folder's fingerprint (size and modification time of every file), so
// results of a folder that has been rewritten since are not shown as its own. A new result
// replaces an older one of the same task, metric, dataset and settings; others stay beside it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readJsonObjectSync } from '../formats/checkpoint/folder.js';
import type { EvalResult } from './types.js';

const key = (r: EvalResult) => JSON.stringify([r.task, r.metric, r.dataset ?? null, r.settings]);

/** Where the results of the checkpoint folder `dir` are kept under Bonsai's data folder `home`. */
export function resultsFileFor(home: string, dir: string): string {
  return join(home, 'eval-results', `${createHash('sha256').update(realpathSync(dir)).digest('hex')}.json`);
}

/** Size and modification time of every file at the top of the folder: what the results describe. */
export function folderFingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const s = statSync(join(dir, name), { throwIfNoEntry: false });
    if (s?.isFile()) hash.update(`${name}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** The results kept in `file` for the folder `dir`; none when it was rewritten since. */
export function readLocalResults(file: string, dir: string): EvalResult[] {
  if (!existsSync(file)) return [];
  try {
    // Under the JSON reading policy (src/formats/json.ts): a 100,000-deep file must not overflow the card.
    const parsed = (readJsonObjectSync(file) ?? {}) as { fingerprint?: unknown; results?: unknown };
    if (parsed.fingerprint !== folderFingerprint(dir)) return [];
    return Array.isArray(parsed.results) ? (parsed.results as EvalResult[]) : [];
  } catch {
    // A hand-edited or truncated file: the card goes without it rather than failing.
    return [];
  }
}

export async function saveLocalResults(file: string, dir: string, results: readonly EvalResult[]): Promise<void> {
  const merged = new Map(readLocalResults(file, dir).map((r) => [key(r), r]));
  for (const r of results) merged.set(key(r), r);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(
    tmp,
    `${JSON.stringify({ checkpoint: realpathSync(dir), fingerprint: folderFingerprint(dir), results: [...merged.values()] }, null, 2)}\n`,
  );
  await rename(tmp, file);
}
