// Recipes as the server and the CLI take them: the schemas of src/recipes/ (browser-safe, shared
// with the catalog) and their validation turned into the project's BadInputError, so the API
// answers BAD_USER_INPUT and the CLI exits 2 naming the field or flag.
import { BadInputError } from '../errors.js';
import { type Recipe, recipeProblems } from '../recipes/schema.js';

export * from '../recipes/schema.js';

/**
 * Validates a recipe, throwing BadInputError naming the first bad field (all problems in details).
 * `name` turns a field path into what the caller knows it by: `recipe.pruningFraction` in the
 * API, `--pruning-fraction 40` on the command line.
 */
export function parseRecipe(input: unknown, name: string | ((path: Array<string | number>) => string) = 'recipe'): Recipe {
  const { recipe, problems } = recipeProblems(input);
  if (recipe) return recipe;
  const label = typeof name === 'string' ? (path: Array<string | number>) => [name, ...path].join('.') : name;
  const named = problems.map((p) => ({ field: label(p.path), message: p.message }));
  const first = named[0]!;
  throw new BadInputError(first.field, first.message, { problems: named });
}
