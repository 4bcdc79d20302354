// Which of a method's fields apply to what is chosen so far (the criterion, the refit, the pattern):
// the recipe schema's own cross-field rules decide, not a copy of them. Each field is tried with a
// valid value on a recipe holding only the choices; a field the schema then refuses ("is only used
// by the least-squares refit", "cannot be combined with a criterion") does not apply and is not shown.
import { type RecipeField, type RecipeMethod, recipeFromFlagValues, recipeProblems } from '../../../../src/recipes';

/**
 * The number of calibration tokens goes with the calibration text: shown exactly when that is. The
 * schema accepts `samples` alone (it is ignored then), so no rule of its own can tell.
 */
const GOES_WITH: Readonly<Record<string, string>> = { samples: 'calibration' };

/** Fields that choose how the method runs: shown always, and the ground the others are tried on. */
export const isChoice = (f: RecipeField) => f.kind === 'choice' || typeof f.default === 'string';

/** Valid values of a field, as a form would hold them (strings). */
function trials(f: RecipeField): string[] {
  if (f.kind === 'choice') return (f.choices ?? []).map(String);
  if (f.default !== undefined) return [Array.isArray(f.default) ? f.default.join(',') : String(f.default)];
  if (f.path) return ['trial.txt'];
  if (f.kind === 'stringList') return ['trial'];
  if (f.kind === 'integerList') return ['0'];
  const lo = f.minimum ?? f.exclusiveMinimum ?? 0;
  const hi = f.maximum ?? f.exclusiveMaximum;
  if (f.kind === 'integer' || f.kind === 'numberList') return [String(Math.max(1, Math.ceil(lo)))];
  return [String(hi !== undefined ? (lo + hi) / 2 : lo + 1)];
}

function problemsOf(method: string, values: Record<string, string>): Set<string> {
  try {
    return new Set(recipeProblems(recipeFromFlagValues(method, values)).problems.map((p) => `${p.path.join('.')}: ${p.message}`));
  } catch {
    return new Set(['unparsed']);
  }
}

/** The names of the fields that apply, given the form's values. */
export function applicableFields(method: RecipeMethod, values: Record<string, string>): Set<string> {
  const choices = Object.fromEntries(
    method.fields.filter((f) => isChoice(f) && !f.output && (values[f.name] ?? '') !== '').map((f) => [f.name, values[f.name]!]),
  );
  const shown = new Set<string>();
  for (const f of method.fields) {
    if (f.output || f.name in GOES_WITH) continue;
    const { [f.name]: _own, ...ground } = choices;
    const before = problemsOf(method.method, ground);
    const fresh = (v: string) => [...problemsOf(method.method, { ...ground, [f.name]: v })].filter((p) => !before.has(p));
    // A choice applies unless one of its values is refused on the choice itself (scope "global" for Wanda);
    // another field applies when some valid value of it brings no new problem.
    const applies = isChoice(f)
      ? trials(f).every((v) => !fresh(v).some((p) => p.startsWith(`${f.name}:`) || p.startsWith(`${f.name}.`)))
      : trials(f).some((v) => fresh(v).length === 0);
    if (applies) shown.add(f.name);
  }
  for (const [name, leader] of Object.entries(GOES_WITH))
    if (shown.has(leader) && method.fields.some((f) => f.name === name)) shown.add(name);
  return shown;
}
