// Scalars. Parameter counts and byte sizes are exact integers beyond 2^53 (never
// floats), so BigInt travels as a decimal string and is read back from a string or an integer.
import { GraphQLError, Kind } from 'graphql';
import { scalarType } from 'nexus';

// Every BigInt the API stores or compares is a PostgreSQL bigint: a signed 64-bit integer.
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const bigIntError = () =>
  new GraphQLError(`BigInt must be an integer between ${INT64_MIN} and ${INT64_MAX}, written as digits`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });

function toInt64(value: string | number): bigint {
  const n = BigInt(value);
  if (n < INT64_MIN || n > INT64_MAX) throw bigIntError();
  return n;
}

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
    // At most 20 characters: a 64-bit integer has 19 digits and a sign (and BigInt() of a
    // megabyte of digits would be slow).
    if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) return toInt64(value);
    if (typeof value === 'number' && Number.isSafeInteger(value)) return toInt64(value);
    throw bigIntError();
  },
  parseLiteral(ast) {
    if ((ast.kind === Kind.STRING || ast.kind === Kind.INT) && /^-?\d{1,19}$/.test(ast.value)) return toInt64(ast.value);
    throw bigIntError();
  },
});

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

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
    // ISO-8601 date-times (RFC 3339) with a four-digit year: `new Date` alone also accepts
    // "Tuesday" style strings and years up to 275760 that PostgreSQL and Prisma cannot store.
    const d = typeof value === 'string' && ISO_8601.test(value) ? new Date(value) : null;
    if (!d || Number.isNaN(d.getTime()))
      throw new GraphQLError('DateTime must be an ISO-8601 date-time such as "2027-01-31T12:00:00Z", years 0001 to 9999', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
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
