// Pins GraphQL over HTTP: size limit, 401 before GraphQL, 400 for malformed requests, depth limit, and client-safe errors.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getIntrospectionQuery } from 'graphql';
import { BadUserInputError, ConflictError, UnauthenticatedError } from '../../../shared/errors';
import { MAX_QUERY_COST } from '../../../shared/graphql/cost';
import { handleGraphQLRequest, MAX_RESPONSE_BYTES, type GraphQLEndpoint } from '../../../shared/graphql/endpoint';
import { buildExecutableSchema } from '../../../shared/graphql/schema';
import { JSONScalar } from '../../../shared/graphql/scalars';
import { MAX_REQUEST_BYTES } from '../../../shared/http';
import { logger } from '../../../shared/logger';

interface TestContext {
  user: string;
}

const sdl = `
scalar JSON
type Query {
  hello: String!
  node: Node
  awsFailure: String
  conflict: String
  notImplemented: String
  echo(value: JSON, count: Int): JSON
  text(kilobytes: Int!): String!
}
type Mutation { rename(name: String!): String! }
type Node { id: ID! child: Node }
`;

const schema = buildExecutableSchema<TestContext>(sdl, {
  JSON: JSONScalar,
  Query: {
    hello: (_root: unknown, _args: unknown, context: TestContext) => `hello ${context.user}`,
    node: () => ({ id: '1', child: { id: '2', child: null } }),
    awsFailure: () => {
      throw new Error('User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:eu-central-1:123456789012:table/secret-table');
    },
    conflict: () => {
      throw new ConflictError('an application named foo already exists');
    },
    echo: (_root: unknown, args: { value: unknown }) => args.value,
    text: (_root: unknown, args: { kilobytes: number }) => 'x'.repeat(args.kilobytes * 1024),
  },
  Mutation: {
    rename: (_root: unknown, args: { name: string }) => {
      if (args.name === '') throw new BadUserInputError('name: must not be empty');
      return args.name;
    },
  },
});

const contextCalls: APIGatewayProxyEvent[] = [];
const endpoint: GraphQLEndpoint<TestContext> = {
  schema,
  context: async (event) => {
    contextCalls.push(event);
    const authorization = event.headers?.Authorization;
    if (authorization !== 'Bearer good') throw new UnauthenticatedError('Authorization header is missing');
    return { user: 'alice' };
  },
};

function event(body: string | null, options: { authorization?: string | null; base64?: boolean } = {}): APIGatewayProxyEvent {
  const authorization = options.authorization === undefined ? 'Bearer good' : options.authorization;
  return {
    body: options.base64 && body !== null ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
    headers: authorization === null ? {} : { Authorization: authorization },
    httpMethod: 'POST',
    path: '/test/graphql',
    requestContext: { requestId: 'req-123' },
  } as unknown as APIGatewayProxyEvent;
}

async function send(body: unknown, options?: Parameters<typeof event>[1]) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await handleGraphQLRequest(event(raw, options), endpoint);
  return { status: response.statusCode, headers: response.headers, text: response.body, json: JSON.parse(response.body) };
}

const code = (json: { errors?: { extensions?: { code?: string } }[] }) => json.errors?.[0]?.extensions?.code;

let loggedErrors: jest.SpyInstance;
beforeEach(() => {
  contextCalls.length = 0;
  loggedErrors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => loggedErrors.mockRestore());

describe('handleGraphQLRequest', () => {
  it('answers a query with 200 application/json and the data', async () => {
    const response = await send({ query: '{ hello }' });
    expect(response.status).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(response.json).toEqual({ data: { hello: 'hello alice' } });
  });

  it('reads base64-encoded bodies', async () => {
    const response = await send({ query: '{ hello }' }, { base64: true });
    expect(response.json).toEqual({ data: { hello: 'hello alice' } });
  });

  it('runs the operation named by operationName, with variables', async () => {
    const response = await send({
      query: 'query A { hello } mutation B($n: String!) { rename(name: $n) }',
      operationName: 'B',
      variables: { n: 'bob' },
    });
    expect(response.json).toEqual({ data: { rename: 'bob' } });
  });

  describe('refuses before authentication or parsing', () => {
    it('413 for a body over the limit, even without credentials', async () => {
      const body = JSON.stringify({ query: `{ hello }${' '.repeat(MAX_REQUEST_BYTES)}` });
      const response = await send(body, { authorization: null });
      expect(response.status).toBe(413);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
      expect(response.json.errors[0].message).toContain(String(MAX_REQUEST_BYTES));
      expect(contextCalls).toHaveLength(0);
    });

    it('counts the decoded bytes of a base64 body against the limit', async () => {
      const response = await send(JSON.stringify({ query: `{ hello }${' '.repeat(MAX_REQUEST_BYTES)}` }), { base64: true });
      expect(response.status).toBe(413);
    });
  });

  describe('401 before any GraphQL runs', () => {
    it('for missing credentials, in the UNAUTHENTICATED shape', async () => {
      const response = await send({ query: '{ hello }' }, { authorization: null });
      expect(response.status).toBe(401);
      expect(response.json).toEqual({ errors: [{ message: 'Authorization header is missing', extensions: { code: 'UNAUTHENTICATED' } }] });
    });

    it('even when the body is malformed', async () => {
      const response = await send('not json', { authorization: 'Bearer bad' });
      expect(response.status).toBe(401);
      expect(code(response.json)).toBe('UNAUTHENTICATED');
    });

    it('500 INTERNAL without details when authentication itself fails unexpectedly', async () => {
      const failing: GraphQLEndpoint<TestContext> = {
        schema,
        context: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:8000 dynamodb');
        },
      };
      const response = await handleGraphQLRequest(event(JSON.stringify({ query: '{ hello }' })), failing);
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toEqual({ errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL' } }] });
      expect(loggedErrors).toHaveBeenCalled();
    });
  });

  describe('400 for malformed requests', () => {
    it.each([
      ['a body that is not JSON', '{"query": ', 'must be JSON'],
      ['an empty body', '', 'must be JSON'],
      ['a JSON array', '[{"query":"{ hello }"}]', 'JSON object'],
      ['a JSON string', '"{ hello }"', 'JSON object'],
      ['no query', '{"variables":{}}', 'no "query"'],
      ['a query that is not a string', '{"query": 5}', 'no "query"'],
      ['variables that are not an object', '{"query":"{ hello }","variables":[1]}', '"variables" must be a JSON object'],
      ['variables that are a string', '{"query":"{ hello }","variables":"{}"}', '"variables" must be a JSON object'],
      ['an operationName that is not a string', '{"query":"{ hello }","operationName":5}', '"operationName" must be a string'],
    ])('%s', async (_name, body, message) => {
      const response = await send(body);
      expect(response.status).toBe(400);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
      expect(response.json.errors[0].message).toContain(message);
      expect(response.json.data).toBeUndefined();
    });

    it('a query that does not parse, with where', async () => {
      const response = await send({ query: '{ hello ' });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toMatch(/^The query does not parse: Syntax Error/);
      expect(response.json.errors[0].locations).toEqual([{ line: 1, column: 9 }]);
    });

    it('a query that fails validation', async () => {
      const response = await send({ query: '{ hello nope }' });
      expect(response.status).toBe(400);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
      expect(response.json.errors[0].message).toContain('Cannot query field "nope"');
    });

    it('variables of the wrong type, as BAD_USER_INPUT', async () => {
      const response = await send({ query: 'query($c: Int) { echo(count: $c) }', variables: { c: 'many' } });
      expect(response.status).toBe(400);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
      expect(response.json.errors[0].message).toContain('$c');
    });

    it('a missing required variable', async () => {
      const response = await send({ query: 'mutation($n: String!) { rename(name: $n) }' });
      expect(response.status).toBe(400);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
    });

    it('an operationName the document does not have', async () => {
      const response = await send({ query: 'query A { hello }', operationName: 'B' });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toContain('"B"');
    });

    it('several operations and no operationName', async () => {
      const response = await send({ query: 'query A { hello } query B { hello }' });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toContain('operationName');
    });
  });

  describe('depth limit', () => {
    // `levels` selection sets deep: node, then child after child, then id.
    const nodes = (levels: number) => `{ node { ${'child { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;

    it('accepts a query 15 levels deep', async () => {
      const response = await send({ query: nodes(15) });
      expect(response.status).toBe(200);
      expect(response.json.errors).toBeUndefined();
    });

    it('refuses a query 16 levels deep, naming the limit', async () => {
      const response = await send({ query: nodes(16) });
      expect(response.status).toBe(400);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
      expect(response.json.errors[0].message).toContain('15 levels');
    });

    it('counts levels reached through fragments', async () => {
      const query = `{ node { ...Deep } } fragment Deep on Node { ${'child { '.repeat(15)}id${' }'.repeat(15)} }`;
      const response = await send({ query });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toContain('15 levels');
    });

    it('refuses absurd nesting without walking all of it', async () => {
      const response = await send({ query: `{ ${'node { '.repeat(500)}id${' }'.repeat(500)} }` });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toContain('15 levels');
    });

    it('refuses nesting too deep for the parser with the same message', async () => {
      const response = await send({ query: `${'{a'.repeat(20000)}${'}'.repeat(20000)}` });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toContain('15 levels');
    });

    it('lets the introspection query through', async () => {
      const response = await send({ query: getIntrospectionQuery() });
      expect(response.status).toBe(200);
      expect(response.json.data.__schema.queryType.name).toBe('Query');
    });
  });

  describe('cost limit: every pre-execution walk visits a fragment once, introspection is priced', () => {
    /** `count` fragments, each spreading the next twice: 2^count selections once expanded. */
    const fanOut = (operation: 'query' | 'mutation', count: number) => {
      const on = operation === 'query' ? 'Query' : 'Mutation';
      const fragments = Array.from({ length: count }, (_, i) =>
        i + 1 < count ? `fragment F${i + 1} on ${on} { __typename ...F${i + 2} ...F${i + 2} }` : `fragment F${i + 1} on ${on} { __typename }`);
      return `${operation} { ...F1 }\n${fragments.join('\n')}`;
    };
    const refusedForCost = (response: Awaited<ReturnType<typeof send>>) => {
      expect(response.status).toBe(400);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
      expect(response.json.errors[0].message).toContain(`costs more than the limit of ${MAX_QUERY_COST}`);
      expect(response.json.data).toBeUndefined();
    };

    // 2^40 selections: a walk that expanded them would never answer (the review's 27 fragments took 8 s).
    it('refuses a query whose fragments fan out (each spreading the next twice)', async () => {
      refusedForCost(await send({ query: fanOut('query', 40) }));
    });

    it('refuses the same shape as a mutation, before counting its root fields the long way', async () => {
      refusedForCost(await send({ query: fanOut('mutation', 40) }));
    });

    it('accepts a small fan-out whose expansion fits the budget (__typename counts 1)', async () => {
      const response = await send({ query: fanOut('query', 8) });
      expect(response.status).toBe(200);
      expect(response.json.data).toEqual({ __typename: 'Query' });
    });

    it('prices introspection: many aliases of a walk over every type are refused', async () => {
      const aliases = Array.from({ length: 300 }, (_, i) => `s${i}: __schema { types { name fields { name type { name } } } }`).join(' ');
      refusedForCost(await send({ query: `{ ${aliases} }` }));
    });

    it('refuses a document with more fields written than the budget before validating it', async () => {
      // Invalid (no such field) and too large: the size is what is reported, so validation's work never started.
      const response = await send({ query: `{ ${Array.from({ length: MAX_QUERY_COST + 1 }, (_, i) => `f${i}: nope`).join(' ')} }` });
      refusedForCost(response);
    });

    it('refuses a query whose answer would be over the response limit, and answers one under it', async () => {
      const over = await send({ query: `{ text(kilobytes: ${MAX_RESPONSE_BYTES / 1024 + 1}) }` });
      expect(over.status).toBe(400);
      expect(code(over.json)).toBe('BAD_USER_INPUT');
      expect(over.json.errors[0].message).toContain(`larger than the limit of ${MAX_RESPONSE_BYTES} bytes`);
      expect(over.text.length).toBeLessThan(1000);
      const under = await send({ query: `{ text(kilobytes: ${MAX_RESPONSE_BYTES / 1024 - 1}) }` });
      expect(under.status).toBe(200);
    });
  });

  describe('execution errors: HTTP 200, mapped in one place', () => {
    it('a service error keeps its message and code, with path and location', async () => {
      const response = await send({ query: '{ hello conflict }' });
      expect(response.status).toBe(200);
      expect(response.json).toEqual({
        data: { hello: 'hello alice', conflict: null },
        errors: [{ message: 'an application named foo already exists', locations: [{ line: 1, column: 9 }], path: ['conflict'], extensions: { code: 'CONFLICT' } }],
      });
      expect(loggedErrors).not.toHaveBeenCalled();
    });

    it('BAD_USER_INPUT from a mutation', async () => {
      const response = await send({ query: 'mutation { rename(name: "") }' });
      expect(response.status).toBe(200);
      expect(code(response.json)).toBe('BAD_USER_INPUT');
      expect(response.json.data).toBeNull();
    });

    it('any other error is INTERNAL "Internal error": no AWS text, no stack, but logged with the request id', async () => {
      const response = await send({ query: '{ awsFailure }' }, { authorization: 'Bearer good' });
      expect(response.status).toBe(200);
      expect(response.json.errors).toEqual([
        { message: 'Internal error', locations: [{ line: 1, column: 3 }], path: ['awsFailure'], extensions: { code: 'INTERNAL' } },
      ]);
      expect(response.text).not.toMatch(/arn:aws|dynamodb|not authorized|stack|\.ts|at /i);
      expect(loggedErrors).toHaveBeenCalledTimes(1);
      const [, attributes] = loggedErrors.mock.calls[0];
      expect(attributes).toMatchObject({ requestId: 'req-123', path: 'awsFailure' });
      expect(JSON.stringify(loggedErrors.mock.calls)).not.toContain('Bearer good');
    });

    it('a root field without a resolver is INTERNAL, not a crash', async () => {
      const response = await send({ query: '{ hello notImplemented }' });
      expect(response.status).toBe(200);
      expect(response.json.data).toEqual({ hello: 'hello alice', notImplemented: null });
      expect(code(response.json)).toBe('INTERNAL');
      expect(response.json.errors[0].message).toBe('Internal error');
    });

    it('JSON values pass through both as variables and as inline literals', async () => {
      const viaVariable = await send({ query: 'query($v: JSON) { echo(value: $v) }', variables: { v: { a: [1, 'x', null] } } });
      expect(viaVariable.json).toEqual({ data: { echo: { a: [1, 'x', null] } } });
      const inline = await send({ query: '{ echo(value: {a: [1, "x", null]}) }' });
      expect(inline.json).toEqual({ data: { echo: { a: [1, 'x', null] } } });
    });
  });
});
