// A zod object schema as a plain list of fields, read from its JSON Schema (zod's toJSONSchema):
// what the CLI turns into flags, GraphQL into input and output types, and the catalog into forms.
// Nothing here names a field; the schemas (src/recipes/schema.ts, src/registry/payloads.ts) do.
import * as z from 'zod';

export type FieldKind = 'number' | 'integer' | 'string' | 'choice' | 'integerList' | 'numberList' | 'stringList';

export interface SchemaField {
  /** The object's key, e.g. `pruningFraction`. */
  name: string;
  /** The CLI flag, e.g. `--pruning-fraction`. */
  flag: string;
  kind: FieldKind;
  description: string;
  /** Choices of a `choice` field (an enum, or a union of constants such as roundTo's 32/64/128/256). */
  choices?: Array<string | number>;
  default?: unknown;
  required: boolean;
  /** A file on the server (resolved to an absolute path by the CLI, shell-quoted in cards). */
  path: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** Filled in when the job runs; not something a user gives. */
  output: boolean;
}

type JsonSchema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
} & { path?: boolean };

export function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function kindOf(s: JsonSchema): Pick<SchemaField, 'kind' | 'choices'> {
  if (s.enum) return { kind: 'choice', choices: s.enum as string[] };
  if (s.anyOf?.every((a) => a.const !== undefined)) return { kind: 'choice', choices: s.anyOf.map((a) => a.const as number) };
  if (s.type === 'array') {
    const item = s.items?.type;
    return { kind: item === 'integer' ? 'integerList' : item === 'number' ? 'numberList' : 'stringList' };
  }
  if (s.type === 'integer') return { kind: 'integer' };
  if (s.type === 'number') return { kind: 'number' };
  return { kind: 'string' };
}

/**
 * The fields of an object schema; properties that are constants (a discriminator such as
 * `method`) are returned apart. `outputs` names fields the system fills in, not the user.
 */
export function describeObject(
  schema: z.ZodType,
  outputs: ReadonlySet<string> = new Set(),
): { constants: Record<string, unknown>; description: string; fields: SchemaField[] } {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const required = new Set(json.required ?? []);
  const constants = Object.fromEntries(
    Object.entries(json.properties ?? {})
      .filter(([, s]) => s.const !== undefined)
      .map(([k, s]) => [k, s.const]),
  );
  const fields: SchemaField[] = Object.entries(json.properties ?? {})
    .filter(([name]) => !(name in constants))
    .map(([name, s]) => ({
      name,
      flag: flagOf(name),
      ...kindOf(s),
      description: s.description ?? '',
      default: s.default,
      required: required.has(name),
      path: s.path === true,
      // Zod states "any safe integer" as a maximum; that is no bound a user needs to see.
      minimum: s.minimum,
      maximum: s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined,
      exclusiveMinimum: s.exclusiveMinimum,
      exclusiveMaximum: s.exclusiveMaximum,
      output: outputs.has(name),
    }));
  return { constants, description: json.description ?? '', fields };
}
