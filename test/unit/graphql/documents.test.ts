// The per-container cache of parsed and validated GraphQL documents: bounded, keyed by the exact query text, one per
// schema, and never a way around the depth or cost limits, which apply to every request.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parse } from 'graphql';
import { MAX_CACHED_QUERY_CHARACTERS, MAX_CACHED_QUERY_LENGTH, validatedDocumentsOf, ValidatedDocuments } from '../../../shared/graphql/documents';
import { handleGraphQLRequest, type GraphQLEndpoint } from '../../../shared/graphql/endpoint';
import { MAX_QUERY_COST } from '../../../shared/graphql/cost';
import { buildExecutableSchema } from '../../../shared/graphql/schema';

describe('ValidatedDocuments', () => {
  it('answers only the exact query text it was given: another text, even one space apart, is a miss', () => {
    const documents = new ValidatedDocuments();
    const document = parse('{ a }');
    documents.remember('{ a }', document);
    expect(documents.get('{ a }')).toBe(document);
    expect(documents.get('{ a  }')).toBeUndefined();
    expect(documents.get('{ b }')).toBeUndefined();
  });

  it('holds at most its capacity, dropping the least recently used text', () => {
    const documents = new ValidatedDocuments(2);
    documents.remember('{ a }', parse('{ a }'));
    documents.remember('{ b }', parse('{ b }'));
    documents.get('{ a }');
    documents.remember('{ c }', parse('{ c }'));
    expect(documents.size).toBe(2);
    expect(documents.get('{ b }')).toBeUndefined();
    expect(documents.get('{ a }')).toBeDefined();
    expect(documents.get('{ c }')).toBeDefined();
  });

  it('keeps texts of at most its total number of characters, whatever their count', () => {
    const documents = new ValidatedDocuments(100, 4096, 30);
    const texts = ['{ aaaaaaaaaa }', '{ bbbbbbbbbb }', '{ cccccccccc }'];
    for (const text of texts) documents.remember(text, parse(text));
    expect(documents.size).toBe(2);
    expect(documents.characters).toBeLessThanOrEqual(30);
    expect(documents.get(texts[0]!)).toBeUndefined();
    expect(MAX_CACHED_QUERY_CHARACTERS).toBeGreaterThanOrEqual(MAX_CACHED_QUERY_LENGTH);
  });

  it('never keeps a query text longer than its limit', () => {
    const documents = new ValidatedDocuments(10, 20);
    const long = `{ a${' '.repeat(30)}}`;
    documents.remember(long, parse(long));
    expect(documents.size).toBe(0);
    expect(new ValidatedDocuments().get('x')).toBeUndefined();
    expect(MAX_CACHED_QUERY_LENGTH).toBeGreaterThan(1000);
  });
});

interface Context { user: string }
const rows = (first: number) => Array.from({ length: Math.min(first, 3) }, (_, i) => ({ a: i, b: i }));
const pagedSchema = buildExecutableSchema<Context>(
  'type Query { hello: String! page(first: Int = 10): [Row!]! node: Node } type Row { a: Int! b: Int! } type Node { id: ID! child: Node }',
  { Query: { hello: () => 'hi', page: (_root: unknown, args: { first: number }) => rows(args.first), node: () => ({ id: '1', child: null }) } },
);
const otherSchema = buildExecutableSchema<Context>('type Query { hello: String! }', { Query: { hello: () => 'other' } });
const endpointOf = (schema: typeof pagedSchema): GraphQLEndpoint<Context> => ({ schema, context: async () => ({ user: 'u' }) });

async function send(endpoint: GraphQLEndpoint<Context>, body: Record<string, unknown>) {
  const event = { body: JSON.stringify(body), isBase64Encoded: false, headers: {}, httpMethod: 'POST', path: '/graphql', requestContext: { requestId: 'r' } } as unknown as APIGatewayProxyEvent;
  const response = await handleGraphQLRequest(event, endpoint);
  return { status: response.statusCode, json: JSON.parse(response.body) };
}

describe('handleGraphQLRequest with the document cache', () => {
  const paged = endpointOf(pagedSchema);

  it('keeps a query that validated, per schema: the same text is validated again against another schema', async () => {
    const query = '{ hello page(first: 2) { a } }';
    expect((await send(paged, { query })).status).toBe(200);
    expect(validatedDocumentsOf(pagedSchema).get(query)).toBeDefined();
    expect(validatedDocumentsOf(otherSchema).get(query)).toBeUndefined();
    const elsewhere = await send(endpointOf(otherSchema), { query });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json.errors[0].message).toContain('Cannot query field "page"');
  });

  it('keeps no query that failed validation: it fails the same way every time', async () => {
    const query = '{ nothing }';
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await send(paged, { query });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toContain('Cannot query field "nothing"');
    }
    expect(validatedDocumentsOf(pagedSchema).get(query)).toBeUndefined();
  });

  it('prices every request by its own variables: a kept query is refused when its page is too large', async () => {
    const query = 'query($n: Int) { page(first: $n) { a b } }';
    expect((await send(paged, { query, variables: { n: 2 } })).json).toEqual({ data: { page: [{ a: 0, b: 0 }, { a: 1, b: 1 }] } });
    expect(validatedDocumentsOf(pagedSchema).get(query)).toBeDefined();
    const costly = await send(paged, { query, variables: { n: MAX_QUERY_COST } });
    expect(costly.status).toBe(400);
    expect(costly.json.errors[0].message).toContain(`limit of ${MAX_QUERY_COST}`);
    expect((await send(paged, { query, variables: { n: 'x' } })).status).toBe(400);
  });

  it('applies the depth limit to a kept document as well', async () => {
    const deep = `{ node { ${'child { '.repeat(15)}id${' }'.repeat(15)} } }`;
    // As if a deeper document had been kept for this text: the limit is still checked on the way out of the cache.
    validatedDocumentsOf(pagedSchema).remember('{ node { id } }', parse(deep));
    const response = await send(paged, { query: '{ node { id } }' });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].message).toContain('15 levels');
  });

  it('runs the operation each request names from one kept document', async () => {
    const query = 'query A { hello } query B { page(first: 1) { a } }';
    expect((await send(paged, { query, operationName: 'A' })).json).toEqual({ data: { hello: 'hi' } });
    expect((await send(paged, { query, operationName: 'B' })).json).toEqual({ data: { page: [{ a: 0 }] } });
    expect((await send(paged, { query })).status).toBe(400);
  });
});
