// src/recipes/ is bundled by the catalog: it must stay a leaf (zod and its own files, plus the
// import-free config bounds), and its conversion of form or flag strings must refuse a number that
// does not parse by naming the field, not hand the schema a NaN.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataFilesOf, withDataFilesOf } from '../../src/recipes/dataFiles.js';
import { RecipeValueError, recipeFromFlagValues } from '../../src/recipes/fields.js';
import { samplesOf } from '../../src/recipes/schema.js';

const room = join(import.meta.dirname, '..', '..', 'src', 'recipes');

describe('src/recipes', () => {
  it('imports only zod, its own files and the import-free config bounds (browser-safe)', () => {
    for (const file of readdirSync(room).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(room, file), 'utf8');
      const specifiers = [...text.matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((m) => m[1]);
      for (const s of specifiers) expect([file, s]).toSatisfy(([, x]) => x === 'zod' || x!.startsWith('./') || x === '../arch/limits.js');
    }
    // The one module it reaches outside: it must itself import nothing.
    expect(readFileSync(join(room, '..', 'arch', 'limits.ts'), 'utf8')).not.toMatch(/^import /m);
  });

  it('a number that does not parse names its field instead of becoming NaN', () => {
    const refused = (method: string, values: Record<string, string>) => {
      try {
        recipeFromFlagValues(method, values);
      } catch (err) {
        return err instanceof RecipeValueError ? [err.field, err.value, err.problem] : err;
      }
      return 'accepted';
    };
    expect(refused('mlp-width', { pruningFraction: 'forty' })).toEqual(['pruningFraction', 'forty', 'must be a decimal number']);
    expect(refused('mlp-width', { pruningFraction: '' })).toEqual(['pruningFraction', '', 'must be a decimal number']);
    expect(refused('depth', { layers: '1,x' })).toEqual(['layers', 'x', 'must be a decimal number']);
    expect(refused('mlp-width', { roundTo: '6four' })).toEqual(['roundTo', '6four', 'must be a decimal number']);
    expect(recipeFromFlagValues('depth', { layers: '1, 3' })).toEqual({ method: 'depth', layers: [1, 3] });
    // As the help's own example writes a list, and one flag per item: every item, not the last flag's.
    expect(recipeFromFlagValues('depth', { layers: '[1, 4]' })).toEqual({ method: 'depth', layers: [1, 4] });
    expect(recipeFromFlagValues('depth', { layers: ['1', '4'] })).toEqual({ method: 'depth', layers: [1, 4] });
    expect(recipeFromFlagValues('depth', { layers: ['[1, 2]', '5'] })).toEqual({ method: 'depth', layers: [1, 2, 5] });
    expect(refused('depth', { layers: '[1,, 4]' })).toEqual(['layers', '', 'must be a decimal number']);
    expect(refused('depth', { layers: '[1, 4' })).toEqual(['layers', '[1', 'must be a decimal number']);
    // Number() reads these; nobody means 16 by 0x10 or a size by Infinity.
    for (const v of ['0x10', '0b11', '0o7', 'Infinity', '1_000', '1e', '.', '+'])
      expect(refused('hidden', { hiddenSize: v }), v).toEqual(['hiddenSize', v, 'must be a decimal number']);
    for (const [v, n] of [
      ['16', 16],
      [' 16 ', 16],
      ['-1.5', -1.5],
      ['.5', 0.5],
      ['5.', 5],
      ['1e-3', 0.001],
      ['2E2', 200],
    ] as const)
      expect(recipeFromFlagValues('hidden', { hiddenSize: v }).hiddenSize, v).toBe(n);
  });

  it('data files are found by the schema mark, in every field that has it', () => {
    const recipe = { method: 'vocab', corpus: ['a.txt', 'b.txt'] };
    expect(dataFilesOf(recipe)).toEqual([
      { field: 'recipe.corpus.0', name: 'a.txt' },
      { field: 'recipe.corpus.1', name: 'b.txt' },
    ]);
    expect(dataFilesOf({ method: 'sparsity', criterion: 'wanda', calibration: 'c.txt' })).toEqual([
      { field: 'recipe.calibration', name: 'c.txt' },
    ]);
    expect(withDataFilesOf({ method: 'vocab', corpus: ['/tmp/0/a.txt'], roundTo: 64 }, recipe)).toEqual({ ...recipe, roundTo: 64 });
  });

  it('a calibration default is applied where it is used, not stored in a recipe that has none', () => {
    // 2,048 tokens: the default the recipe field's description states since the first calibrated method.
    expect(samplesOf({})).toBe(2048);
    expect(samplesOf({ samples: 64 })).toBe(64);
  });
});
