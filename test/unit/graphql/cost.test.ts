// The cost limits of a GraphQL request, priced before anything runs: one mutation field, and a field budget where lists multiply.
import { getOperationAST, parse } from 'graphql';
import * as cockpitQueries from '../../../cockpit/web/queries';
import { connectorSchema } from '../../../shared/connector/endpoint';
import { directorSchema } from '../../../shared/director/endpoint';
import { ASSUMED_LIST_SIZE, fragmentsOf, MAX_QUERY_COST, queryCost, rootFieldCount } from '../../../shared/graphql/cost';

const price = (source: string, variables: Record<string, unknown> = {}, schema = directorSchema()) => {
  const document = parse(source);
  return queryCost(schema, getOperationAST(document)!, fragmentsOf(document), variables, Number.MAX_SAFE_INTEGER);
};
const rootFields = (source: string) => {
  const document = parse(source);
  return rootFieldCount(getOperationAST(document)!, fragmentsOf(document));
};

describe('rootFieldCount', () => {
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

  it('prices the Connector too', () => {
    expect(price('{ configuration { token { token } } }', {}, connectorSchema())).toBe(3);
  });
});
