// The recipe flags shared by `bonsai prune` and `bonsai plan`, turned into a recipe object that
// the same validator as the API checks.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BadInputError } from '../errors.js';
import { parseRecipe, type Recipe } from '../pruning/recipe.js';

export interface RecipeFlags {
  method: string;
  criterion?: string;
  pruningFraction?: string;
  expansionRate?: string;
  intermediateSize?: string;
  roundTo?: string;
  layers?: string;
  last?: string;
  sparsity?: string;
  pattern?: string;
  scope?: string;
  count?: string;
  calibration?: string;
  samples?: string;
  corpus?: string[];
  minFrequency?: string;
  vocabSize?: string;
  unit?: string;
}

export function addRecipeOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--method <method>', 'mlp-width | depth | sparsity | vocab')
    .option(
      '--criterion <name>',
      'mlp-width: maw | vow | pon | l2 | activation (default maw); depth: block-influence | perplexity; sparsity: magnitude | wanda',
    )
    .option('--pruning-fraction <p>', 'mlp-width: fraction of neurons to remove, in [0, 1)')
    .option('--expansion-rate <r>', 'mlp-width: target intermediate/hidden in percent')
    .option('--intermediate-size <n>', 'mlp-width: target intermediate_size')
    .option('--round-to <n>', 'mlp-width: round kept neurons to a multiple of 32, 64, 128 or 256; vocab: size multiple (default 64)')
    .option('--layers <list>', 'depth: blocks to remove, e.g. 3,4')
    .option('--last <n>', 'depth: remove the last N blocks')
    .option('--sparsity <s>', 'sparsity: fraction of weights to zero (unstructured)')
    .option('--pattern <p>', 'sparsity: unstructured (default) or N:M such as 2:4')
    .option('--scope <scope>', 'sparsity: per-matrix (default) or global')
    .option('--count <n>', 'depth with --criterion block-influence|perplexity: blocks to remove')
    .option('--calibration <file>', 'width by activation, depth by block-influence/perplexity, sparsity by wanda: calibration text')
    .option('--samples <n>', 'calibration tokens (default 2048)')
    .option('--corpus <file>', 'vocab: a text file whose tokens are kept (repeat for several)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--min-frequency <n>', 'vocab: drop tokens seen fewer times (default 1)')
    .option('--vocab-size <n>', 'vocab: keep at most the N most frequent corpus tokens (special, added and byte tokens on top)')
    .option('--unit <unit>', 'vocab: tokenise each corpus file whole (document, default) or each line alone (line)');
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BadInputError(flag, `must be a number (got ${JSON.stringify(v)})`);
  return n;
}

export function recipeFromFlags(f: RecipeFlags): Recipe {
  const raw: Record<string, unknown> = { method: f.method };
  const put = (k: string, v: unknown) => {
    if (v !== undefined) raw[k] = v;
  };
  put('criterion', f.criterion);
  put('pruningFraction', num('--pruning-fraction', f.pruningFraction));
  put('expansionRate', num('--expansion-rate', f.expansionRate));
  put('intermediateSize', num('--intermediate-size', f.intermediateSize));
  put('roundTo', num('--round-to', f.roundTo));
  put(
    'layers',
    f.layers?.split(',').map((x) => num('--layers', x.trim())),
  );
  put('last', num('--last', f.last));
  put('sparsity', num('--sparsity', f.sparsity));
  put('pattern', f.pattern);
  put('scope', f.scope);
  put('count', num('--count', f.count));
  put('calibration', f.calibration);
  put('samples', num('--samples', f.samples));
  put(
    'corpus',
    f.corpus?.map((c) => resolve(c)),
  );
  put('minFrequency', num('--min-frequency', f.minFrequency));
  put('vocabSize', num('--vocab-size', f.vocabSize));
  put('unit', f.unit);
  return parseRecipe(raw);
}
