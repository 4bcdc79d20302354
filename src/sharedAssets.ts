// The shared assets (the tiny-llama-kjv model, tokenizers, corpora) live beside the repository as
// ../shared; a clone elsewhere finds them through BONSAI_SHARED_DIR (which .ci/run sets).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config.js';

/** The repository's sibling `shared` folder, whether or not it exists. */
export const SIBLING_SHARED_DIR = fileURLToPath(new URL('../../shared', import.meta.url));

/** The first candidate that holds the shared model (`given` first), or undefined. */
export function findSharedDir(given?: string, configured: string | undefined = loadConfig().sharedDir): string | undefined {
  const found = [given, configured, SIBLING_SHARED_DIR].find(
    (d): d is string => d !== undefined && existsSync(join(d, 'models', 'tiny-llama-kjv', 'config.json')),
  );
  return found === undefined ? undefined : resolve(found);
}
