// The recipe flags of `bonsai prune` and `bonsai plan`, derived from the recipe schemas
// (src/recipes/fields.ts): one flag per field, its help from the field's description and
// bounds, checked by the same validator as the API, with problems named by flag and value
// (`--pruning-fraction 40: must be in [0, 1)`).
import type { Command } from 'commander';
import { BadInputError } from '../errors.js';
import { parseRecipe } from '../pruning/recipe.js';
import { allFields, boundsText, RECIPE_METHODS, RecipeValueError, recipeFromFlagValues } from '../recipes/fields.js';
import type { Recipe } from '../recipes/schema.js';
import { flagOf } from '../recipes/schemaFields.js';

export type RecipeFlags = { method: string } & Record<string, string | string[] | undefined>;

export function addRecipeOptions(cmd: Command): Command {
  cmd.requiredOption('--method <method>', RECIPE_METHODS.map((m) => m.method).join(' | '));
  for (const f of allFields()) {
    const help = f.methods
      .map((m) => {
        const field = m.fields.find((x) => x.name === f.name)!;
        const bounds = boundsText(field);
        return `${m.method}: ${field.description}${bounds ? ` (${bounds})` : ''}`;
      })
      .join('; ');
    const value = f.kind === 'integerList' || f.kind === 'numberList' ? '<list>' : f.path ? '<file>' : '<value>';
    const list = f.kind === 'integerList' || f.kind === 'numberList';
    if (f.kind === 'stringList' || list) {
      // Repeated, a list flag collects (src/recipes/fields.ts reads `3,4`, `[3, 4]` and one item per flag alike).
      const how = list ? 'comma-separated, or repeat the flag' : 'repeat for several';
      cmd.option(`${f.flag} ${value}`, `${help} (${how})`, (v: string, prev: string[] = []) => [...prev, v]);
    } else {
      cmd.option(`${f.flag} ${value}`, help);
    }
  }
  return cmd;
}

/** The recipe the flags describe; data files as written (src/cli/prune.ts finds them, under the import roots too). */
export function recipeFromFlags(flags: RecipeFlags): Recipe {
  const values: Record<string, string | string[] | undefined> = {};
  const byName = new Map(allFields().map((f) => [f.name, f]));
  for (const [name, v] of Object.entries(flags)) {
    const f = byName.get(name);
    if (!f || v === undefined) continue;
    values[name] = v;
  }
  let raw: Record<string, unknown>;
  try {
    raw = recipeFromFlagValues(flags.method, values);
  } catch (err) {
    if (err instanceof RecipeValueError) throw new BadInputError(`${flagOf(err.field)} ${err.value}`, err.problem);
    throw err;
  }
  return parseRecipe(raw, (path) => {
    const name = String(path[0] ?? 'method');
    const given = name === 'method' ? flags.method : flags[name];
    const shown = Array.isArray(given) ? given.join(' ') : given;
    return `${flagOf(name)}${shown !== undefined ? ` ${shown}` : ''}`;
  });
}
