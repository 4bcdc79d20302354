// The recipe fields that name data files (calibration text, vocabulary corpora …): those the
// schema marks with `path` (src/recipes/schema.ts). Spawn confines them under the import roots,
// the worker stages private copies of them and the CLI finds them under its roots, all by
// iterating this one list, so a new data field is confined everywhere without naming it.
import { allFields } from './fields.js';

/** The names of the fields marked as data files, across every method. */
export const DATA_FILE_FIELDS: readonly string[] = allFields()
  .filter((f) => f.path)
  .map((f) => f.name);

/** Every data file a recipe names, with the field path that names it (`recipe.corpus.1`). */
export function dataFilesOf(recipe: object): Array<{ field: string; name: string }> {
  const r = recipe as Record<string, unknown>;
  return DATA_FILE_FIELDS.flatMap((field) => {
    const v = r[field];
    if (typeof v === 'string') return [{ field: `recipe.${field}`, name: v }];
    if (Array.isArray(v)) return v.flatMap((f, i) => (typeof f === 'string' ? [{ field: `recipe.${field}.${i}`, name: f }] : []));
    return [];
  });
}

/** The recipe's data-file fields passed through `rename`. */
export function mapDataFiles<R extends object>(recipe: R, rename: (name: string) => string): R {
  const r = { ...recipe } as Record<string, unknown>;
  for (const field of DATA_FILE_FIELDS) {
    const v = r[field];
    if (typeof v === 'string') r[field] = rename(v);
    else if (Array.isArray(v)) r[field] = v.map((f) => (typeof f === 'string' ? rename(f) : f));
  }
  return r as R;
}

/** The same, for a rename that reads the file system; `field` names the value (`recipe.corpus.0`), one at a time. */
export async function mapDataFilesAsync<R extends object>(recipe: R, rename: (name: string, field: string) => Promise<string>): Promise<R> {
  const r = { ...recipe } as Record<string, unknown>;
  for (const field of DATA_FILE_FIELDS) {
    const v = r[field];
    if (typeof v === 'string') r[field] = await rename(v, `recipe.${field}`);
    else if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const [i, f] of v.entries()) out.push(typeof f === 'string' ? await rename(f, `recipe.${field}.${i}`) : f);
      r[field] = out;
    }
  }
  return r as R;
}

/** `recipe` with the data-file fields of `source` (the names a spawn recorded, not a job's private copies). */
export function withDataFilesOf<R extends object>(recipe: R, source: object): R {
  const r = { ...recipe } as Record<string, unknown>;
  const from = source as Record<string, unknown>;
  for (const field of DATA_FILE_FIELDS) if (from[field] !== undefined) r[field] = from[field];
  return r as R;
}
