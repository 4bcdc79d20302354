// A child's name carries its setting's percentage as given: 0.999 is not 100 %, and two settings
// that differ must not get one name (src/pruning/methods/percent.ts). Names written out here.
import { describe, expect, it } from 'vitest';
import { methodOf } from '../../src/pruning/methods/index.js';
import { parseRecipe } from '../../src/pruning/recipe.js';

const suffix = (raw: Record<string, unknown>) => {
  const recipe = parseRecipe(raw);
  return methodOf(recipe).childNameSuffix(recipe as never);
};

describe('child names', () => {
  it('keep the fraction’s percentage, whole or not', () => {
    expect(suffix({ method: 'hidden', pruningFraction: 0.999 })).toBe('hidden99.9-magnitude');
    expect(suffix({ method: 'hidden', pruningFraction: 0.2 })).toBe('hidden20-magnitude');
    expect(suffix({ method: 'mlp-width', pruningFraction: 0.125 })).toBe('width12.5-maw');
    expect(suffix({ method: 'mlp-width', pruningFraction: 0.4 })).toBe('width40-maw');
    expect(suffix({ method: 'attention', pruningFraction: 0.005 })).toBe('groups0.5-magnitude');
    expect(suffix({ method: 'attention', unit: 'query-head', pruningFraction: 0.005 })).toBe('qheads0.5-magnitude');
    expect(suffix({ method: 'sparsity', sparsity: 0.555 })).toBe('sparse55.5');
    expect(suffix({ method: 'sparsity', sparsity: 0.5 })).toBe('sparse50');
    // Different settings, different names (rounding gave both `width100`).
    expect(suffix({ method: 'mlp-width', pruningFraction: 0.996 })).not.toBe(suffix({ method: 'mlp-width', pruningFraction: 0.995 }));
  });
});
