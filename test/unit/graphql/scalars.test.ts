// Pins the JSON and Timestamp scalars: pass-through JSON, RFC 3339 UTC timestamps in and out.
import { Kind, parseValue } from 'graphql';
import { JSONScalar, TimestampScalar } from '../../../shared/graphql/scalars';

describe('JSON scalar', () => {
  it('passes values through unchanged', () => {
    const value = { a: [1, 'two', null, { b: true }] };
    expect(JSONScalar.serialize(value)).toBe(value);
    expect(JSONScalar.parseValue(value)).toBe(value);
  });

  it('reads inline literals, variables included', () => {
    expect(JSONScalar.parseLiteral(parseValue('{a: [1, 2.5, "x", null, true], b: $v}'), { v: 'from variable' })).toEqual({
      a: [1, 2.5, 'x', null, true],
      b: 'from variable',
    });
  });
});

describe('Timestamp scalar', () => {
  it('serialises stored RFC 3339 strings and Dates as UTC with milliseconds', () => {
    expect(TimestampScalar.serialize('2026-11-28T15:04:05.000Z')).toBe('2026-11-28T15:04:05.000Z');
    expect(TimestampScalar.serialize('2026-11-28T16:04:05+01:00')).toBe('2026-11-28T15:04:05.000Z');
    expect(TimestampScalar.serialize(new Date(Date.UTC(2026, 10, 28, 15, 4, 5)))).toBe('2026-11-28T15:04:05.000Z');
  });

  it.each([['2026-11-28'], ['yesterday'], ['2026-11-28T15:04:05'], ['2026-13-28T15:04:05Z'], [1764342245000], [null]])(
    'refuses %p',
    (value) => {
      expect(() => TimestampScalar.serialize(value)).toThrow('RFC 3339');
    },
  );

  it('parses string literals and refuses other literal kinds', () => {
    expect(TimestampScalar.parseLiteral({ kind: Kind.STRING, value: '2026-11-28T15:04:05Z' }, undefined)).toBe('2026-11-28T15:04:05.000Z');
    expect(() => TimestampScalar.parseLiteral({ kind: Kind.INT, value: '5' }, undefined)).toThrow('string');
  });
});
