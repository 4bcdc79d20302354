// The recipe as it is recorded in a derived checkpoint (the safetensors metadata and
// bonsai_recipe.json). It must not depend on who ran it — a worker reading a job payload back from
// Postgres (jsonb reorders keys) or `bonsai prune` from the card's command line — or on where the
// data files lay on that machine, so that the same parent and recipe give byte-identical files:
// keys are sorted at every level, and data files are named by their file name (their sha256 is
// recorded beside them).
import { basename } from 'node:path';
import type { Recipe } from '../recipes/schema.js';

/** JSON with object keys sorted at every level (RFC 8785's ordering, for our ASCII keys). */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/** Data files named by their file name, not the path they had on the machine that ran the recipe. */
export function recordedRecipe(recipe: Recipe): Recipe {
  const r = { ...recipe } as Recipe & { calibration?: string; corpus?: string[] };
  if (r.calibration !== undefined) r.calibration = basename(r.calibration);
  if (r.corpus !== undefined) r.corpus = r.corpus.map((f) => basename(f));
  return r;
}
