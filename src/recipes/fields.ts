// The recipe schemas (schema.ts) as plain field lists, read from their JSON Schema (zod's
// toJSONSchema): what the CLI turns into flags, GraphQL into input and output types, the card into
// its reproduce command and the catalog into its spawn form. Adding a field to a method's schema
// adds it everywhere; nothing here names a field.
import { METHOD_SCHEMAS, type Method, type Recipe } from './schema.js';
import { describeObject, type FieldKind, type SchemaField as RecipeField } from './schemaFields.js';

export type { FieldKind, SchemaField as RecipeField } from './schemaFields.js';

export interface RecipeMethod {
  method: Method;
  description: string;
  fields: RecipeField[];
}

/** Fields the engine fills in for the record (depth's per-block scores, OWL's per-layer sparsity). */
const OUTPUT_FIELDS = new Set(['scores', 'layerSparsity']);

/** Every method with its fields, in METHOD_SCHEMAS order. */
export const RECIPE_METHODS: readonly RecipeMethod[] = METHOD_SCHEMAS.map((schema) => {
  const { constants, description, fields } = describeObject(schema, OUTPUT_FIELDS);
  return { method: constants.method as Method, description, fields };
});

export function methodSpec(method: string): RecipeMethod | undefined {
  return RECIPE_METHODS.find((m) => m.method === method);
}

/** Every field name of any method, once, with the methods that have it (for the CLI's flags). */
export function allFields(): Array<{ name: string; flag: string; kind: FieldKind; path: boolean; methods: RecipeMethod[] }> {
  const byName = new Map<string, { name: string; flag: string; kind: FieldKind; path: boolean; methods: RecipeMethod[] }>();
  for (const m of RECIPE_METHODS) {
    for (const f of m.fields) {
      if (f.output) continue;
      const entry = byName.get(f.name) ?? { name: f.name, flag: f.flag, kind: f.kind, path: f.path, methods: [] };
      entry.methods.push(m);
      byName.set(f.name, entry);
    }
  }
  return [...byName.values()];
}

/** Bounds and default of a field in words, e.g. "in [0, 1)", "default maw". */
export function boundsText(f: RecipeField): string {
  const parts: string[] = [];
  if (f.choices) parts.push(`one of ${f.choices.join(', ')}`);
  const lo = f.minimum !== undefined ? `[${f.minimum}` : f.exclusiveMinimum !== undefined ? `(${f.exclusiveMinimum}` : undefined;
  const hi = f.maximum !== undefined ? `${f.maximum}]` : f.exclusiveMaximum !== undefined ? `${f.exclusiveMaximum})` : undefined;
  if (lo && hi) parts.push(`in ${lo}, ${hi}`);
  else if (lo) parts.push(f.minimum !== undefined ? `at least ${f.minimum}` : `more than ${f.exclusiveMinimum}`);
  else if (hi) parts.push(f.maximum !== undefined ? `at most ${f.maximum}` : `less than ${f.exclusiveMaximum}`);
  if (f.default !== undefined) parts.push(`default ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}`);
  return parts.join('; ');
}

/**
 * A recipe as `bonsai prune` flags, in schema order: [flag, value] pairs (a list of numbers is one
 * comma-separated flag, a list of files one flag per file). Fields the engine fills in are left out.
 */
export function recipeToFlags(recipe: Recipe, omit: ReadonlySet<string> = new Set()): Array<[string, string]> {
  const spec = methodSpec(recipe.method);
  if (!spec) return [];
  const out: Array<[string, string]> = [['--method', recipe.method]];
  const values = recipe as unknown as Record<string, unknown>;
  for (const f of spec.fields) {
    const v = values[f.name];
    if (v === undefined || f.output || omit.has(f.name)) continue;
    if (f.kind === 'stringList') for (const item of v as unknown[]) out.push([f.flag, String(item)]);
    else if (Array.isArray(v)) out.push([f.flag, v.join(',')]);
    else out.push([f.flag, String(v)]);
  }
  return out;
}

/** A form or flag value that is not what its field takes (a number that does not parse); `field` is the recipe field's name. */
export class RecipeValueError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
    readonly problem: string,
  ) {
    super(`${field} ${JSON.stringify(value)}: ${problem}`);
    this.name = 'RecipeValueError';
  }
}

/** Plain decimal notation (`40`, `-1.5`, `.5`, `1e-3`), as a form or a flag types a number. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The number a flag or form value spells in decimal, or null: JavaScript's Number() also reads
 * `0x10` as 16, `0b11` as 3 and `Infinity`, which nobody means by a size or a fraction.
 */
export function decimalNumber(text: string): number | null {
  const t = text.trim();
  if (!DECIMAL.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * A recipe object from flag or form values as typed (strings; repeated flags as lists), for the
 * CLI and the catalog's spawn form alike. A number that does not parse is refused here, naming
 * its field (RecipeValueError), never passed on as NaN; bounds and cross-field rules are the
 * schema's. Flags the method does not have are passed on, so the schema refuses them.
 */
export function recipeFromFlagValues(method: string, values: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const raw: Record<string, unknown> = { method };
  const fields = new Map((methodSpec(method)?.fields ?? []).map((f) => [f.name, f]));
  for (const [name, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const f = fields.get(name);
    const one = Array.isArray(v) ? v.at(-1)! : v;
    const num = (x: string) => {
      const n = decimalNumber(x);
      if (n === null) throw new RecipeValueError(name, x, 'must be a decimal number');
      return n;
    };
    if (!f) raw[name] = v;
    else if (f.kind === 'number' || f.kind === 'integer') raw[name] = num(one);
    else if (f.kind === 'choice') raw[name] = f.choices?.every((c) => typeof c === 'number') ? num(one) : one;
    // A list as the help writes it (`[3, 4]`), comma-separated (`3,4`) or one flag per item
    // (`--layers 3 --layers 4`): all of them, where a repeated number flag means its last value.
    else if (f.kind === 'integerList' || f.kind === 'numberList')
      raw[name] = (Array.isArray(v) ? v : [v]).flatMap((x) => listItems(x)).map((x) => num(x));
    else if (f.kind === 'stringList') raw[name] = Array.isArray(v) ? v : [v];
    else raw[name] = one;
  }
  return raw;
}

/** The items of one list value: `3,4`, or `[3, 4]` as JSON writes a list. */
function listItems(text: string): string[] {
  const t = text.trim();
  const inner = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
  return inner.split(',').map((x) => x.trim());
}

/** A method's member in the API's oneOf recipe input: `mlp-width` → `mlpWidth`. */
export function inputMember(method: string): string {
  return method.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** A recipe object `{ method, …fields }` as the API's PruningRecipeInput `{ mlpWidth: { …fields } }` (for clients). */
export function recipeInput(recipe: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const { method, ...fields } = recipe;
  return { [inputMember(String(method))]: fields };
}
