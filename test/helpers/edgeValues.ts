// Extreme values for every input type of a GraphQL schema, as fast-check arbitraries, and the
// request that sends them (test/security/surface.test.ts). Values are small JSON specs, rendered to
// request text only when sent, so a failing case prints as `{"$":"repeat","n":1000000,"of":0}`
// rather than as megabytes.
import fc from 'fast-check';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';
import { sharedModel } from '../fixtures/checkpoints.js';

export type Spec = null | boolean | number | string | Spec[] | { [k: string]: Spec };
export const deep = (n: number): Spec => ({ $: 'deep', n });
export const repeat = (n: number, of: Spec): Spec => ({ $: 'repeat', n, of });
export const bigString = (n: number): Spec => ({ $: 'string', n });
export const raw = (text: string): Spec => ({ $: 'raw', text });

/**
 * `n` copies of `item` joined by commas: the text of `new Array(n).fill(item).join(',')`, built by
 * String.prototype.repeat, which was a third of this process's CPU in the surface test as an array
 * join (a million-item list is rendered in about one case in ten).
 */
function joinCopies(item: string, n: number): string {
  return n > 0 ? `${`${item},`.repeat(n - 1)}${item}` : '';
}

function render(spec: Spec): string {
  if (Array.isArray(spec)) return `[${spec.map(render).join(',')}]`;
  if (spec !== null && typeof spec === 'object') {
    if (spec.$ === 'deep') return `${'['.repeat(spec.n as number)}${']'.repeat(spec.n as number)}`;
    if (spec.$ === 'repeat') return `[${joinCopies(render(spec.of as Spec), spec.n as number)}]`;
    if (spec.$ === 'string') return `"${'x'.repeat(spec.n as number)}"`;
    if (spec.$ === 'raw') return spec.text as string;
    return `{${Object.entries(spec)
      .map(([k, v]) => `${JSON.stringify(k)}:${render(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(spec);
}

/** The rendered length of a spec, without rendering it. */
function size(spec: Spec): number {
  if (Array.isArray(spec)) return 2 + spec.reduce<number>((n, v) => n + size(v) + 1, 0);
  if (spec !== null && typeof spec === 'object') {
    if (spec.$ === 'deep') return 2 * (spec.n as number);
    if (spec.$ === 'repeat') return (spec.n as number) * (size(spec.of as Spec) + 1);
    if (spec.$ === 'string') return (spec.n as number) + 2;
    if (spec.$ === 'raw') return (spec.text as string).length;
    return Object.entries(spec).reduce((n, [k, v]) => n + k.length + 4 + size(v), 2);
  }
  return JSON.stringify(spec).length;
}

/** Values at the edges of any type: the wrong kind, the extremes of JSON itself. */
const anyExtreme: fc.Arbitrary<Spec> = fc.constantFrom<Spec>(
  null,
  {},
  [],
  '',
  0,
  -1,
  2 ** 31 - 1,
  2 ** 53,
  raw('1e309'),
  raw('-1e309'),
  raw('NaN'),
  'NaN',
  'Infinity',
  true,
  deep(10_000),
  repeat(1_000_000, 0),
  bigString(1_000_000),
  { zzz: 1 },
);

const ints = fc.constantFrom<Spec>(0, -1, 1, 2, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, -(2 ** 53), 1.5, 1e308, 100_000_000);
const floats = fc.constantFrom<Spec>(0, -1, 0.5, 0.999999, 1, 1e-300, 2 ** 53, 1.7976931348623157e308, -0.0001, 5e-324);
/** Strings: half of them name what exists (`known`: a model, its id, a job), so resolvers run past "not found". */
const strings = (known: string[]) =>
  fc.oneof(
    fc.constantFrom<Spec>(...known),
    fc.constantFrom<Spec>(
      '',
      'x',
      sharedModel,
      '../../../../../../etc/passwd',
      '/etc/hostname',
      '/proc/self/environ',
      'hf://org/name',
      'hf://org--x/name@main',
      'a/b/c',
      'モデル🌳',
      '%00',
      ' ',
      'x'.repeat(10_001),
      bigString(1_000_000),
    ),
  );
const bigInts = fc.constantFrom<Spec>('0', '-1', '9223372036854775807', '9223372036854775808', 2 ** 53, 1e30, 'abc', bigString(100_000));
const dates = fc.constantFrom<Spec>('2027-01-01T00:00:00Z', '0001-01-01', '9999-12-31T23:59:59Z', 'tomorrow', '+275760-09-13T00:00:00Z', 0);
const jsons = fc.constantFrom<Spec>(
  {},
  { a: { b: [1, 'x', null] } },
  'x',
  1,
  deep(10_000),
  repeat(1_000_000, 0),
  repeat(100_000, { a: 1 }),
  bigString(1_000_000),
);

/** Values for an input type, walked from the schema; `level` bounds recursion through input objects. */
function inputValue(type: GraphQLInputType, known: string[], level = 0): fc.Arbitrary<Spec> {
  if (isNonNullType(type)) return inputValue(type.ofType, known, level);
  const typed = typedValue(type, known, level);
  return fc.oneof({ weight: 6, arbitrary: typed }, { weight: 1, arbitrary: anyExtreme });
}

function typedValue(type: GraphQLInputType, known: string[], level: number): fc.Arbitrary<Spec> {
  if (isListType(type)) {
    const item = inputValue(type.ofType, known, level + 1);
    return fc.oneof(
      fc.array(item, { maxLength: 3 }),
      item, // a single value stands for a list of one (GraphQL's input coercion)
      // Long lists of small items: a body just under the 1 MB limit, and one far over it.
      item.filter((of) => size(of) <= 16).chain((of) => fc.constantFrom(10_000, 200_000, 1_000_000).map((n) => repeat(n, of))),
    );
  }
  if (isInputObjectType(type)) {
    if (level > 4) return fc.constant({});
    const fields = Object.values(type.getFields());
    // A oneOf input (a pruning recipe) takes exactly one member: mostly one, so resolvers run.
    if ((type as { isOneOf?: boolean }).isOneOf)
      return fc.oneof(
        { weight: 8, arbitrary: fc.oneof(...fields.map((f) => inputValue(f.type, known, level + 1).map((v) => ({ [f.name]: v })))) },
        { weight: 1, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.constant(Object.fromEntries(fields.slice(0, 2).map((f) => [f.name, {}]))) },
      );
    return fc
      .tuple(
        fc.tuple(...fields.map((f) => fc.option(inputValue(f.type, known, level + 1), { freq: 2, nil: undefined }))),
        fc.option(fc.constantFrom('zzz', `${fields[0]?.name ?? 'x'}x`), { freq: 5, nil: undefined }),
      )
      .map(([values, unknown]) => {
        const o: Record<string, Spec> = {};
        fields.forEach((f, i) => {
          if (values[i] !== undefined) o[f.name] = values[i]!;
        });
        if (unknown) o[unknown] = 1;
        return o;
      });
  }
  if (isEnumType(type)) {
    const values = type.getValues().map((v) => v.name);
    return fc.oneof(fc.constantFrom(...values), fc.constantFrom('NOPE', values[0]!.toLowerCase(), ''));
  }
  switch (getNamedType(type).name) {
    case 'Int':
      return ints;
    case 'Float':
      return floats;
    case 'Boolean':
      return fc.constantFrom<Spec>(true, false, 'true', 0);
    case 'BigInt':
      return bigInts;
    case 'DateTime':
      return dates;
    case 'JSON':
      return jsons;
    default:
      return strings(known);
  }
}

// ---- Operations: one top-level field with its arguments as variables.
export interface Operation {
  kind: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
}

const OMIT = '\u0000omit';

export function operationArb(op: Operation, known: string[]): fc.Arbitrary<{ kind: string; field: string; args: Record<string, Spec> }> {
  const args = op.field.args;
  const argValue = (a: GraphQLArgument) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<Spec>(OMIT) },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 8, arbitrary: inputValue(a.type, known) },
    );
  return fc.tuple(...args.map(argValue)).map((values) => {
    const chosen: Record<string, Spec> = {};
    args.forEach((a, i) => {
      if (values[i] !== OMIT) chosen[a.name] = values[i]!;
    });
    return { kind: op.kind, field: op.field.name, args: chosen };
  });
}

/**
 * A spec as a GraphQL literal of `type` (null: a type the schema does not know, such as an
 * unknown field's): enum values bare, everything else as in JSON, the markers expanded.
 */
function literal(spec: Spec, type: GraphQLInputType | null): string {
  const inner = type && isNonNullType(type) ? type.ofType : type;
  if (Array.isArray(spec)) return `[${spec.map((v) => literal(v, inner && isListType(inner) ? inner.ofType : inner)).join(', ')}]`;
  if (spec !== null && typeof spec === 'object') {
    if (spec.$ === 'repeat') {
      const item = literal(spec.of as Spec, inner && isListType(inner) ? inner.ofType : inner);
      return `[${joinCopies(item, spec.n as number)}]`;
    }
    if (spec.$) return render(spec);
    const fields = inner && isInputObjectType(inner) ? inner.getFields() : {};
    return `{${Object.entries(spec)
      .map(([k, v]) => `${k}: ${literal(v, fields[k]?.type ?? null)}`)
      .join(', ')}}`;
  }
  if (typeof spec === 'string' && inner && isEnumType(getNamedType(inner)) && /^[_A-Za-z]\w*$/.test(spec)) return spec;
  return render(spec);
}

/** The operation with its arguments as variables, or written into the document as literals. */
export function requestBody(op: Operation, args: Record<string, Spec>, asLiterals = false): string {
  const names = Object.keys(args);
  const typeOf = (n: string) => op.field.args.find((a) => a.name === n)!.type;
  const selection = isCompositeType(getNamedType(op.field.type)) ? ' { __typename }' : '';
  if (asLiterals) {
    const passed = names.map((n) => `${n}: ${literal(args[n]!, typeOf(n))}`).join(', ');
    const query = `${op.kind} { ${op.field.name}${passed ? `(${passed})` : ''}${selection} }`;
    return `{"query":${JSON.stringify(query)}}`;
  }
  const declared = names.map((n) => `$${n}: ${String(typeOf(n))}`).join(', ');
  const passed = names.map((n) => `${n}: $${n}`).join(', ');
  const query = `${op.kind} Case${declared ? `(${declared})` : ''} { ${op.field.name}${passed ? `(${passed})` : ''}${selection} }`;
  return `{"query":${JSON.stringify(query)},"variables":${render(args)}}`;
}
