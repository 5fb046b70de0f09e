// Pins how resolver maps are attached: mistakes in resolver names fail at start-up, merges refuse duplicates.
import { graphql } from 'graphql';
import { buildExecutableSchema, mergeResolvers } from '../../../shared/graphql/schema';
import { JSONScalar } from '../../../shared/graphql/scalars';

const sdl = 'scalar JSON type Query { a: String b: JSON } type Mutation { m: String }';

describe('buildExecutableSchema', () => {
  it('attaches field resolvers and scalar implementations', async () => {
    const schema = buildExecutableSchema(sdl, { JSON: JSONScalar, Query: { a: () => 'A', b: () => ({ x: 1 }) } });
    expect(await graphql({ schema, source: '{ a b }' })).toEqual({ data: { a: 'A', b: { x: 1 } } });
  });

  it('throws for a resolver of a type the schema lacks', () => {
    expect(() => buildExecutableSchema(sdl, { Nope: { a: () => 1 } })).toThrow('no object type Nope');
  });

  it('throws for a resolver of a field the schema lacks', () => {
    expect(() => buildExecutableSchema(sdl, { Query: { typo: () => 1 } })).toThrow('no field Query.typo');
  });

  it('throws for a scalar the schema lacks', () => {
    expect(() => buildExecutableSchema('type Query { a: String }', { JSON: JSONScalar })).toThrow('no scalar JSON');
  });

  it('makes root fields without a resolver fail instead of answering null', async () => {
    const schema = buildExecutableSchema(sdl, { Query: { a: () => 'A' } });
    const result = await graphql({ schema, source: 'mutation { m }' });
    expect(result.errors?.[0].originalError?.message).toBe('no resolver for Mutation.m');
  });
});

describe('mergeResolvers', () => {
  it('combines modules resolving different fields of one type', () => {
    const a = () => 'A';
    const b = () => 'B';
    expect(mergeResolvers({ Query: { a } }, { Query: { b } })).toEqual({ Query: { a, b } });
  });

  it('refuses two modules resolving the same field', () => {
    expect(() => mergeResolvers({ Query: { a: () => 1 } }, { Query: { a: () => 2 } })).toThrow('Query.a is resolved twice');
  });

  it('refuses a scalar defined twice', () => {
    expect(() => mergeResolvers({ JSON: JSONScalar }, { JSON: JSONScalar })).toThrow('scalar JSON is defined twice');
  });

  it('leaves its inputs unchanged', () => {
    const first = { Query: { a: () => 1 } };
    mergeResolvers(first, { Query: { b: () => 2 } });
    expect(Object.keys(first.Query)).toEqual(['a']);
  });
});
