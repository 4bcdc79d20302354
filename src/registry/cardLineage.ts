// The parents an uploaded model card names, as the Hub's model tree reads them: `base_model` (one
// id or a list) and `base_model_relation` (adapter, merge, quantized, finetune) in the README's
// YAML front matter (https://huggingface.co/docs/hub/model-cards#specifying-a-base-model). The
// reverse of src/cards/frontMatter.ts's HUB_RELATION. Without a relation the Hub infers one; here
// one parent is a fine-tune and several a merge.

import { parse } from 'yaml';
import type { Relation } from '../db/generated/enums.js';
import { BadInputError } from '../errors.js';
import { readRegularHead } from '../formats/regularFile.js';
import { MAX_PARENTS } from './externalRecipe.js';

const RELATION_OF_HUB: Record<string, Relation> = { finetune: 'FINETUNED', adapter: 'ADAPTER', merge: 'MERGED', quantized: 'QUANTIZED' };
/** Front matter longer than this is not read (a card's metadata is a few kilobytes). */
const MAX_FRONT_MATTER = 64 * 1024;

export interface CardParents {
  parents: string[];
  relation: Relation;
}

/** The parents README.md at `path` names, or null when it names none. */
export async function cardParents(path: string): Promise<CardParents | null> {
  // Only the front matter's bound is read, whatever the README's size (a 600 MB one was read whole).
  const head = (await readRegularHead(path, MAX_FRONT_MATTER + 8)).toString('utf8');
  const m = /^---\r?\n([\s\S]*?)\r?\n---(\r?\n|$)/.exec(head);
  if (!m) return null;
  let meta: unknown;
  try {
    // Aliases bounded: a "billion laughs" card must not expand (yaml's maxAliasCount).
    meta = parse(m[1]!, { maxAliasCount: 100, uniqueKeys: false });
  } catch (err) {
    throw new BadInputError('README.md', `the YAML front matter does not parse (${(err as Error).message.slice(0, 200)})`);
  }
  if (typeof meta !== 'object' || meta === null) return null;
  const { base_model: base, base_model_relation: rel } = meta as Record<string, unknown>;
  if (base === undefined || base === null) return null;
  const parents =
    typeof base === 'string' ? [base] : Array.isArray(base) && base.every((b) => typeof b === 'string') ? (base as string[]) : null;
  if (!parents || parents.length === 0) throw new BadInputError('README.md', 'base_model must be a model id or a list of them');
  if (parents.length > MAX_PARENTS) throw new BadInputError('README.md', `base_model: at most ${MAX_PARENTS} parents`);
  let relation: Relation = parents.length > 1 ? 'MERGED' : 'FINETUNED';
  if (rel !== undefined && rel !== null) {
    const r = typeof rel === 'string' ? RELATION_OF_HUB[rel] : undefined;
    if (!r) throw new BadInputError('README.md', `base_model_relation must be one of ${Object.keys(RELATION_OF_HUB).join(', ')}`);
    relation = r;
  }
  return { parents, relation };
}
