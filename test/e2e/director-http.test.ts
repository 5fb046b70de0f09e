// `npm start` over real HTTP: the Director's and the token endpoint's answers to bad input, bad credentials, missing scopes
// and foreign origins, and the security headers on them.
import { adminAccessToken, startLocalStack, type LocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  // Answers are checked field by field against literal expectations.
  body: any;
}

async function send(url: string, init: RequestInit): Promise<HttpAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** Nothing a client gets may show a stack frame or an AWS exception. */
function expectNoInternals(answer: HttpAnswer): void {
  expect(answer.text).not.toContain('    at ');
  expect(answer.text).not.toMatch(/Exception|ValidationError|DynamoDB|SecretsManager|\/work\/|node_modules/);
}

const REGISTER = `mutation($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id name } }`;
const COUNT = '{ applications { totalCount } }';
const name = () => `http-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe('npm start: bad requests over HTTP', () => {
  let stack: LocalStack;
  let tokenUrl: string;
  let directorUrl: string;
  let admin: string;

  beforeAll(async () => {
    stack = await startLocalStack({ name: 'director-http' });
    tokenUrl = stack.admin.tokenUrl;
    directorUrl = stack.admin.directorUrl;
    admin = await adminAccessToken(stack);
  }, 200_000);

  afterAll(async () => {
    await stack?.stop();
  }, 30_000);

  /** `authorization: null` sends no Authorization header. */
  const post = (body: string, authorization: string | null = `Bearer ${admin}`) =>
    send(directorUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body });
  const graphql = async (query: string, variables: Record<string, unknown> = {}, bearer = admin) => {
    const answer = await post(JSON.stringify({ query, variables }), `Bearer ${bearer}`);
    expectNoInternals(answer);
    return answer;
  };
  const totalCount = async () => (await graphql(COUNT)).body.data.applications.totalCount as number;
  const tokenRequest = (form: Record<string, string>, basic?: [string, string]) =>
    send(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(basic ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}` } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });

  test('invalid application input is BAD_USER_INPUT with HTTP 200, naming the field, and creates nothing', async () => {
    const before = await totalCount();
    const invalid: [string, Record<string, unknown>][] = [
      ['name', { name: '9-starts-with-a-digit' }],
      ['description', { name: name(), description: 'd'.repeat(5000) }],
      ['baseUrl', { name: name(), baseUrl: 'ftp://files.example.com' }],
      ['labels', { name: name(), labels: { env: 42 } }],
      ['labels', { name: name(), labels: { env: ['prod', { nested: true }] } }],
    ];
    for (const [field, input] of invalid) {
      const answer = await graphql(REGISTER, { in: input });
      expect({ field, status: answer.status, code: answer.body.errors?.[0]?.extensions?.code }).toEqual({ field, status: 200, code: 'BAD_USER_INPUT' });
      expect(answer.body.errors[0].message).toContain(field);
      expect(answer.body.errors[0].extensions.violations.map((violation: { field: string }) => violation.field)).toEqual([field]);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.body.data).toBeNull();
    }
    expect(await totalCount()).toBe(before);
  });

  test('a duplicate name in the tenant is CONFLICT and creates nothing', async () => {
    const taken = name();
    expect((await graphql(REGISTER, { in: { name: taken } })).body.data.registerApplication.name).toBe(taken);
    const before = await totalCount();
    const duplicate = await graphql(REGISTER, { in: { name: taken } });
    expect(duplicate.status).toBe(200);
    expect(duplicate.body.errors[0].extensions.code).toBe('CONFLICT');
    expect(await totalCount()).toBe(before);
  });

  test('a body over 100 KB is 413', async () => {
    const answer = await post(JSON.stringify({ query: COUNT, variables: { padding: 'x'.repeat(110 * 1024) } }));
    expect(answer.status).toBe(413);
    expect(answer.body.errors[0].message).toContain('larger than');
    expectNoInternals(answer);
  });

  test('a query nested deeper than 15 levels is 400', async () => {
    const deep = `{ ${'viewer { '.repeat(16)}id${' }'.repeat(16)} }`;
    const answer = await post(JSON.stringify({ query: deep }));
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].message).toContain('deeper than the limit of 15');
    expectNoInternals(answer);
  });

  test('malformed JSON, a body without a query and an unparsable query are 400', async () => {
    for (const body of ['{"query": ', '[]', '{}', JSON.stringify({ variables: {} }), JSON.stringify({ query: '{ applications { ' })]) {
      const answer = await post(body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect(answer.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expectNoInternals(answer);
    }
  });

  test('a missing, malformed or forged bearer token is 401 UNAUTHENTICATED before any GraphQL runs', async () => {
    const before = await totalCount();
    const [header, payload, signature] = admin.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const otherTenant = Buffer.from(JSON.stringify({ ...claims, tenant: 'someone-else' })).toString('base64url');
    const flipped = `${signature!.slice(0, -4)}${signature!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const refusedHeaders = [null, 'Bearer', 'Bearer not-a-jwt', `Basic ${admin}`, `Bearer ${header}.${otherTenant}.${signature}`, `Bearer ${header}.${payload}.${flipped}`];
    for (const authorization of refusedHeaders) {
      const answer = await post(JSON.stringify({ query: REGISTER, variables: { in: { name: name() } } }), authorization);
      expect({ authorization: authorization?.slice(0, 20), status: answer.status }).toEqual({ authorization: authorization?.slice(0, 20), status: 401 });
      expect(answer.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(answer.body.data).toBeUndefined();
      expectNoInternals(answer);
    }
    // An expired token is refused the same way: test/integration/director/director.test.ts signs one with the service's key.
    expect(await totalCount()).toBe(before);
  });

  test('an administrator token without application:write reads but is FORBIDDEN registerApplication', async () => {
    const grant = await tokenRequest({ grant_type: 'client_credentials', scope: 'application:read' }, [stack.admin.clientId, stack.admin.clientSecret]);
    expect(grant.status).toBe(200);
    expect(grant.body.scope).toBe('application:read');
    const readOnly = grant.body.access_token as string;
    const before = (await graphql(COUNT, {}, readOnly)).body.data.applications.totalCount as number;
    const refused = await graphql(REGISTER, { in: { name: name() } }, readOnly);
    expect(refused.status).toBe(200);
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await totalCount()).toBe(before);
  });

  test('a foreign origin gets no CORS permission: no Access-Control-* header on preflights or on answers', async () => {
    const evil = 'https://evil.example';
    const base = new URL(directorUrl).origin;
    const corsHeaders = (answer: HttpAnswer) => [...answer.headers.keys()].filter((name) => name.startsWith('access-control-'));
    const paths = ['/director/graphql', '/connector/graphql', '/oauth2/token', '/.well-known/oauth-authorization-server', '/cockpit'];
    for (const path of paths) {
      const preflight = await send(`${base}${path}`, {
        method: 'OPTIONS',
        headers: { origin: evil, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect({ path, preflight: corsHeaders(preflight) }).toEqual({ path, preflight: [] });
    }
    // A real request with a real token: it is served (no CORS check on the server), but nothing lets the foreign page read it.
    const answer = await send(directorUrl, {
      method: 'POST',
      headers: { origin: evil, 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: COUNT }),
    });
    expect(answer.status).toBe(200);
    expect(corsHeaders(answer)).toEqual([]);
    for (const [path, init] of [
      ['/oauth2/token', { method: 'POST', headers: { origin: evil, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }],
      ['/.well-known/oauth-authorization-server', { headers: { origin: evil } }],
      ['/cockpit', { headers: { origin: evil } }],
    ] as const) {
      const other = await send(`${base}${path}`, init);
      expect({ path, cors: corsHeaders(other) }).toEqual({ path, cors: [] });
    }
  });

  test('every answer asks for HTTPS only (Strict-Transport-Security), the Director\'s, the token endpoint\'s and Cockpit\'s', async () => {
    const base = new URL(directorUrl).origin;
    const answers = [
      await post(JSON.stringify({ query: COUNT })),
      await post('{"query": ', null),
      await tokenRequest({ grant_type: 'client_credentials' }, [stack.admin.clientId, 'wrong']),
      await send(`${base}/.well-known/oauth-authorization-server`, {}),
      await send(`${base}/cockpit`, {}),
    ];
    for (const answer of answers) expect(answer.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
  });

  test('the token endpoint answers RFC 6749 errors with no-store and no internals', async () => {
    const { clientId, clientSecret } = stack.admin;
    const wrongSecret = await tokenRequest({ grant_type: 'client_credentials' }, [clientId, `${clientSecret}x`]);
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
    expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic /);

    const unsupported = await tokenRequest({ grant_type: 'password', username: 'u', password: 'p' }, [clientId, clientSecret]);
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.error).toBe('unsupported_grant_type');

    const scope = await tokenRequest({ grant_type: 'client_credentials', scope: 'application:read tenant:everything' }, [clientId, clientSecret]);
    expect(scope.status).toBe(400);
    expect(scope.body.error).toBe('invalid_scope');

    for (const answer of [wrongSecret, unsupported, scope]) {
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.body.access_token).toBeUndefined();
      expect(answer.text).not.toContain(clientSecret);
      expectNoInternals(answer);
    }
  });
});
