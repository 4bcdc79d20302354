// Default names of spawned children: readable, and different for siblings that differ in method,
// size, criterion or refit, so a second spawn from the same parent does not collide with the first.
import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/pruning/recipe.js';
import type { ModelRow } from '../../src/registry/models.js';
import { defaultChildName } from '../../src/registry/spawn.js';

const parent = { owner: 'bible', name: 'tiny-llama-kjv' } as ModelRow;
const name = (recipe: Record<string, unknown>) => defaultChildName(parent, parseRecipe(recipe));
const calibration = 'kjv-train.txt';

describe('default child names', () => {
  it.each([
    [{ method: 'mlp-width', pruningFraction: 0.4 }, 'bible/tiny-llama-kjv-width40-maw'],
    [{ method: 'mlp-width', pruningFraction: 0.4, reconstruct: 'least-squares', calibration }, 'bible/tiny-llama-kjv-width40-maw-ls'],
    [{ method: 'mlp-width', intermediateSize: 256, criterion: 'l2' }, 'bible/tiny-llama-kjv-mlp256-l2'],
    [{ method: 'depth', layers: [4, 3] }, 'bible/tiny-llama-kjv-depth-l3-4'],
    [{ method: 'depth', last: 2 }, 'bible/tiny-llama-kjv-depth-last2'],
    [{ method: 'depth', criterion: 'block-influence', count: 2, calibration }, 'bible/tiny-llama-kjv-depth2-bi'],
    [{ method: 'depth', criterion: 'perplexity', count: 1, calibration, reconstruct: 'linear' }, 'bible/tiny-llama-kjv-depth1-ppl-linear'],
    [{ method: 'sparsity', pattern: '2:4' }, 'bible/tiny-llama-kjv-sparse-2of4'],
    [{ method: 'sparsity', pattern: '2:4', criterion: 'sparsegpt', calibration }, 'bible/tiny-llama-kjv-sparse-2of4-sparsegpt'],
    [{ method: 'sparsity', sparsity: 0.5, criterion: 'wanda', calibration }, 'bible/tiny-llama-kjv-sparse50-wanda'],
  ])('%o → %s', (recipe, expected) => {
    expect(name(recipe)).toBe(expected);
  });

  it('magnitude, Wanda and SparseGPT at the same pattern get three names', () => {
    const names = ['magnitude', 'wanda', 'sparsegpt'].map((criterion) =>
      name({ method: 'sparsity', pattern: '2:4', criterion, ...(criterion === 'magnitude' ? {} : { calibration }) }),
    );
    expect(new Set(names).size).toBe(3);
  });
});
