// The JSON and Timestamp scalars shared by the Director and Connector schemas.
import { GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';

/** Any JSON value, passed through as it is (inputs written inline in a query are read as plain values). */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

// RFC 3339 date-time with a zone offset; fractional seconds optional.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Normalises an RFC 3339 string or a Date to the UTC form the API promises, e.g. 2026-11-28T15:04:05.000Z. */
function toTimestamp(value: unknown): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === 'string' && RFC3339.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  throw new TypeError('Timestamp must be an RFC 3339 date-time string, e.g. 2026-11-28T15:04:05.000Z');
}

export const TimestampScalar = new GraphQLScalarType<string, string>({
  name: 'Timestamp',
  description: 'RFC 3339 date-time in UTC',
  serialize: toTimestamp,
  parseValue: toTimestamp,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('Timestamp must be a string literal');
    return toTimestamp(ast.value);
  },
});
