// The cost limits of a GraphQL request, priced before anything runs: one mutation field, and a field budget where lists multiply.
import { buildSchema, getIntrospectionQuery, getOperationAST, graphqlSync, parse } from 'graphql';
import * as cockpitQueries from '../../../cockpit/web/queries';
import { connectorSchema } from '../../../shared/connector/endpoint';
import { directorSchema } from '../../../shared/director/endpoint';
import { connectorSdl } from '../../../shared/connector/schema';
import { directorSdl } from '../../../shared/director/schema';
import { ASSUMED_LIST_SIZE, fragmentsOf, MAX_QUERY_COST, queryCost, rootFieldCount, writtenFieldCount } from '../../../shared/graphql/cost';

const price = (source: string, variables: Record<string, unknown> = {}, schema = directorSchema()) => {
  const document = parse(source);
  return queryCost(schema, getOperationAST(document)!, fragmentsOf(document), variables, Number.MAX_SAFE_INTEGER);
};
const rootFields = (source: string) => {
  const document = parse(source);
  return rootFieldCount(getOperationAST(document)!, fragmentsOf(document));
};

/** `count` fragments on `on`, each spreading the next twice around one `__typename`: 2^count selections expanded. */
const fanOut = (operation: 'query' | 'mutation', count: number) => {
  const on = operation === 'query' ? 'Query' : 'Mutation';
  const fragments = Array.from({ length: count }, (_, i) =>
    i + 1 < count ? `fragment F${i + 1} on ${on} { __typename ...F${i + 2} ...F${i + 2} }` : `fragment F${i + 1} on ${on} { __typename }`);
  return `${operation} { ...F1 }\n${fragments.join('\n')}`;
};

/** How many fields an answer holds: every key of every object in it (a list's items each count their own). */
const answeredFields = (value: unknown): number =>
  Array.isArray(value)
    ? value.reduce((sum: number, item) => sum + answeredFields(item), 0)
    : value !== null && typeof value === 'object'
      ? Object.values(value).reduce((sum: number, inner) => sum + 1 + answeredFields(inner), 0)
      : 0;

describe('rootFieldCount', () => {
  it('walks each fragment once: a 60-fragment fan-out (2^60 spreads expanded) is counted at once', () => {
    expect(rootFields(fanOut('mutation', 60))).toBe(0);
    const twice = (count: number) => `mutation { ...F1 }\n${Array.from({ length: count }, (_, i) =>
      i + 1 < count ? `fragment F${i + 1} on Mutation { ...F${i + 2} ...F${i + 2} }` : `fragment F${i + 1} on Mutation { revokeCertificate }`).join('\n')}`;
    expect(rootFields(twice(10))).toBe(2 ** 9);
    expect(rootFields(twice(60))).toBe(2 ** 59);
  });

  it('counts each root field and alias, through fragments, and not __typename', () => {
    expect(rootFields('mutation { revokeCertificate }')).toBe(1);
    expect(rootFields('mutation { a: revokeCertificate b: revokeCertificate __typename }')).toBe(2);
    expect(rootFields('mutation { ...F ... on Mutation { c: revokeCertificate } } fragment F on Mutation { a: revokeCertificate b: revokeCertificate }')).toBe(3);
  });
});

describe('queryCost', () => {
  it('counts one per field for a single object', () => {
    expect(price('{ viewer { id type tenant } }')).toBe(4);
  });

  it('multiplies what a page holds by its size, from the argument, a variable or the default', () => {
    const page = (first: string) => `{ applications${first} { totalCount data { id name } } }`;
    // applications + (totalCount + data + id + name) per item of the page.
    expect(price(page('(first: 10)'))).toBe(1 + 10 * 4);
    expect(price('query($n: Int) { applications(first: $n) { data { id } } }', { n: 3 })).toBe(1 + 3 * 2);
    expect(price(page(''))).toBe(1 + 50 * 4); // the schema's default page size
  });

  it('multiplies a list without a page size by the assumed size, nested lists by both', () => {
    const source = '{ application(id: "x") { auths { id certificates { serialNumber } } } }';
    expect(price(source)).toBe(1 + 1 + ASSUMED_LIST_SIZE * (2 + ASSUMED_LIST_SIZE * 1));
  });

  it("keeps every query Cockpit sends well within the budget", () => {
    const variables = { first: 10, id: 'x', in: {}, type: 'T', inputParams: {} };
    for (const [name, source] of Object.entries(cockpitQueries)) {
      if (typeof source !== 'string' || !/^\s*(query|mutation)/.test(source)) continue;
      const cost = price(source, variables);
      expect({ name, withinBudget: cost <= MAX_QUERY_COST / 2 }).toEqual({ name, withinBudget: true });
    }
  });

  it('prices the reviewed fan-out (100 aliases of a 100-item page with credentials and certificates) far above the budget', () => {
    const alias = (i: number) => `a${i}: applications(first: 100) { totalCount data { auths { certificates { serialNumber } } } }`;
    const source = `{ ${Array.from({ length: 100 }, (_, i) => alias(i)).join(' ')} }`;
    expect(price(source)).toBeGreaterThan(100 * MAX_QUERY_COST);
    // Pricing stops at the limit: an abusive document costs no more than the limit to price.
    const document = parse(source);
    expect(queryCost(directorSchema(), getOperationAST(document)!, fragmentsOf(document), {})).toBeLessThanOrEqual(MAX_QUERY_COST + 100 * 100);
  });

  it("prices the audit trail's pages like the applications': an application's events multiply by both page sizes", () => {
    expect(price('{ auditEvents(first: 10) { totalCount data { id action } } }')).toBe(1 + 10 * 4);
    // Every application of a page reads its own trail: 50 x 50 events are refused before anything runs.
    expect(price('{ applications { data { auditEvents { data { id action actor { kind } } } } } }')).toBeGreaterThan(MAX_QUERY_COST);
    expect(price('{ applications(first: 5) { data { auditEvents(first: 10) { data { id } } } } }')).toBe(1 + 5 * (2 + 10 * 2));
  });

  it('prices __typename like any field and each fragment once, so a fan-out is refused at once', () => {
    expect(price('{ __typename viewer { __typename } }')).toBe(3);
    expect(price(fanOut('query', 8))).toBe(2 ** 8 - 1);
    // 2^40 selections: priced from 40 memoised fragments, never expanded.
    expect(price(fanOut('query', 40))).toBe(2 ** 40 - 1);
    expect(queryCost(directorSchema(), getOperationAST(parse(fanOut('mutation', 60)))!, fragmentsOf(parse(fanOut('mutation', 60))), {})).toBe(MAX_QUERY_COST + 1);
  });

  it('prices a page without a size as the size its resolver uses: the default, for an absent, null or unset first', () => {
    const expected = 1 + 50 * 2;
    expect(price('{ applications { data { id } } }')).toBe(expected);
    expect(price('{ applications(first: null) { data { id } } }')).toBe(expected);
    expect(price('query($n: Int) { applications(first: $n) { data { id } } }', {})).toBe(expected);
    expect(price('query($n: Int) { applications(first: $n) { data { id } } }', { n: null })).toBe(expected);
    expect(price('{ auditEvents(first: null) { data { id } } }')).toBe(expected);
  });

  it('prices introspection exactly: the standard introspection query costs what its answer holds, for both schemas', () => {
    for (const [sdl, schema] of [[directorSdl, directorSchema()], [connectorSdl, connectorSchema()]] as const) {
      const answer = graphqlSync({ schema: buildSchema(sdl), source: getIntrospectionQuery() });
      expect(answer.errors).toBeUndefined();
      expect(price(getIntrospectionQuery(), {}, schema)).toBe(answeredFields(answer.data));
    }
    expect(price(getIntrospectionQuery())).toBeLessThan(MAX_QUERY_COST);
    expect(price('{ __type(name: "Viewer") { name fields { name } } }')).toBe(1 + 2 + 3); // __type, name and fields, a name per field of Viewer
  });

  it('refuses aliases of an introspection walk that the text alone would not price (few fields written, many resolved)', () => {
    const aliases = Array.from({ length: 100 }, (_, i) => `s${i}: __schema { types { fields { name } } }`).join(' ');
    const document = parse(`{ ${aliases} }`);
    expect(writtenFieldCount(document)).toBe(400);
    expect(queryCost(directorSchema(), getOperationAST(document)!, fragmentsOf(document), {})).toBe(MAX_QUERY_COST + 1);
  });

  it('counts the fields written in a document, each fragment once, up to the limit', () => {
    expect(writtenFieldCount(parse('{ viewer { id } ...F } fragment F on Query { a: viewer { id } }'))).toBe(4);
    expect(writtenFieldCount(parse(fanOut('query', 40)))).toBe(40);
  });

  it('prices the Connector too', () => {
    expect(price('{ configuration { token { token } } }', {}, connectorSchema())).toBe(3);
  });
});
