// Scalars. Parameter counts and byte sizes are exact integers beyond 2^53 (DESIGN.md: never
// floats), so BigInt travels as a decimal string and is read back from a string or an integer.
import { GraphQLError, Kind } from 'graphql';
import { scalarType } from 'nexus';

export const BigIntScalar = scalarType({
  name: 'BigInt',
  description: 'An exact integer of any size, written as a decimal string (e.g. "2614341888").',
  asNexusMethod: 'bigint',
  sourceType: 'bigint',
  serialize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    throw new GraphQLError(`BigInt cannot represent ${String(value)}`);
  },
  parseValue(value) {
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    throw new GraphQLError('BigInt must be an integer or a string of digits', { extensions: { code: 'BAD_USER_INPUT' } });
  },
  parseLiteral(ast) {
    if ((ast.kind === Kind.STRING && /^-?\d+$/.test(ast.value)) || ast.kind === Kind.INT) return BigInt(ast.value);
    throw new GraphQLError('BigInt must be an integer or a string of digits', { extensions: { code: 'BAD_USER_INPUT' } });
  },
});

export const DateTimeScalar = scalarType({
  name: 'DateTime',
  description: 'An instant as an ISO-8601 string in UTC.',
  asNexusMethod: 'dateTime',
  sourceType: 'Date',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    throw new GraphQLError('DateTime must be a Date');
  },
  parseValue(value) {
    const d = typeof value === 'string' ? new Date(value) : null;
    if (!d || Number.isNaN(d.getTime()))
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    return d;
  },
});

function literalToJson(ast: import('graphql').ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalToJson);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value)]));
    default:
      throw new GraphQLError('JSON literals cannot contain variables', { extensions: { code: 'BAD_USER_INPUT' } });
  }
}

export const JSONScalar = scalarType({
  name: 'JSON',
  description: 'Any JSON value (recipes, configs, settings).',
  asNexusMethod: 'json',
  sourceType: 'unknown',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => literalToJson(ast),
});
