// Pins how query depth is counted: nested fields, fragments where they are spread, cycles, and the limit.
import { getIntrospectionQuery, parse } from 'graphql';
import { MAX_QUERY_DEPTH, queryDepth } from '../../../shared/graphql/depth';

const nested = (levels: number) => `${'{ a '.repeat(levels)}${'}'.repeat(levels)}`;

describe('queryDepth', () => {
  it('counts one level per nested selection set', () => {
    expect(queryDepth(parse('{ a }'))).toBe(1);
    expect(queryDepth(parse('{ a { b } }'))).toBe(2);
    expect(queryDepth(parse('{ a { b { c } d } e }'))).toBe(3);
  });

  it('takes the deepest of several operations', () => {
    expect(queryDepth(parse('query A { a } query B { a { b { c } } }'))).toBe(3);
  });

  it('counts a fragment spread at the level where it is used', () => {
    const document = parse('query { a { ...F } } fragment F on T { b { c { d } } }');
    expect(queryDepth(document)).toBe(4);
  });

  it('counts inline fragments without adding a level of their own', () => {
    expect(queryDepth(parse('{ a { ... on T { b { c } } } }'))).toBe(3);
  });

  it('follows fragments that spread fragments', () => {
    const document = parse('{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c { d } }');
    expect(queryDepth(document)).toBe(4);
  });

  it('terminates on fragment cycles (validation rejects them later)', () => {
    const document = parse('{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c { ...F } }');
    expect(queryDepth(document)).toBe(4);
  });

  it('ignores spreads of unknown fragments', () => {
    expect(queryDepth(parse('{ a { ...Missing } }'))).toBe(2);
  });

  it('stays cheap for fragments spread many times in a fan', () => {
    // 2^30 paths if every spread were walked again; the per-fragment memo makes it linear.
    const fragments = Array.from({ length: 30 }, (_, i) => `fragment F${i} on T { x ...F${i + 1} ...F${i + 1} }`).join(' ');
    const document = parse(`{ a { ...F0 } } ${fragments} fragment F30 on T { y }`);
    const started = Date.now();
    expect(queryDepth(document)).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops counting once the limit is passed', () => {
    const depth = queryDepth(parse(nested(200)), MAX_QUERY_DEPTH);
    expect(depth).toBeGreaterThan(MAX_QUERY_DEPTH);
    expect(depth).toBeLessThanOrEqual(MAX_QUERY_DEPTH + 1);
  });

  it('counts exactly at the limit', () => {
    expect(queryDepth(parse(nested(MAX_QUERY_DEPTH)))).toBe(MAX_QUERY_DEPTH);
    expect(queryDepth(parse(nested(MAX_QUERY_DEPTH + 1)))).toBe(MAX_QUERY_DEPTH + 1);
  });

  it('lets the standard introspection query through', () => {
    expect(queryDepth(parse(getIntrospectionQuery()))).toBeLessThanOrEqual(MAX_QUERY_DEPTH);
  });
});
