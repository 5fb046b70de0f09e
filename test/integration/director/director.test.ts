// The Director handler end to end in-process (DynamoDB Local + moto, real access tokens): applications as administrators and as applications see them.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler } from '../../../functions/director/handler';
import { ADMIN_SCOPES } from '../../../shared/scopes';
import { accessTokenAudience, issueAccessToken, signJwsWithKms } from '../../../shared/oauth/access-tokens';
import { captureLogs } from '../../support/captured-logs';
import { withEnvironment } from '../../support/environment';
import { freshTenant } from '../../support/local-aws';
import { oauthClients } from '../../support/stores';
import { config } from '../../../shared/config';
import { accessTokenSigner, kms, signingKeys } from '../../../functions/container';

interface Answer {
  status: number;
  text: string;
  // Answers are checked field by field against literal expectations.
  data: any;
  errors?: { message: string; path?: string[]; extensions: { code: string; violations?: { field: string; message: string }[] } }[];
}

async function director(token: string | undefined, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const event = {
    httpMethod: 'POST',
    path: '/director/graphql',
    body: JSON.stringify({ query, variables }),
    isBase64Encoded: false,
    headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    requestContext: { stage: 'test', domainName: 'api.example.test', requestId: randomUUID() },
  } as unknown as APIGatewayProxyEvent;
  const response = await handler(event);
  const body = JSON.parse(response.body);
  return { status: response.statusCode, text: response.body, data: body.data, errors: body.errors };
}

const code = (answer: Answer) => answer.errors?.[0]?.extensions.code;

async function tokenFor(client: Awaited<ReturnType<typeof oauthClients.create>>): Promise<string> {
  return (await issueAccessToken(accessTokenSigner, client.systemAuth, client.systemAuth.scopes, 'https://api.example.test', config())).accessToken;
}

const adminToken = async (tenant: string, scopes: readonly string[] = ADMIN_SCOPES) =>
  tokenFor(await oauthClients.create({ tenant, kind: 'ADMIN', scopes }));

async function applicationClient(tenant: string, appId: string, scopes: readonly string[] = ['application:read']) {
  const client = await oauthClients.create({ tenant, kind: 'APPLICATION', appId, scopes });
  return { clientId: client.clientId, token: await tokenFor(client) };
}

const APP_FIELDS = 'id name description providerName baseUrl labels status { condition timestamp } createdAt updatedAt';
const REGISTER = `mutation($in: ApplicationRegisterInput!) { registerApplication(in: $in) { ${APP_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $in: ApplicationUpdateInput!) { updateApplication(id: $id, in: $in) { ${APP_FIELDS} } }`;
const UNREGISTER = `mutation($id: ID!) { unregisterApplication(id: $id) { id name } }`;
const GET = `query($id: ID!) { application(id: $id) { ${APP_FIELDS} } }`;
const LIST = `query($first: Int, $after: String) { applications(first: $first, after: $after) {
  data { id name } totalCount pageInfo { hasNextPage endCursor } } }`;
const AUTHS = `query($id: ID!) { application(id: $id) { auths { id type status clientId clientSecret tokenUrl scopes } } }`;

const newName = () => `app-${randomUUID().slice(0, 8)}`;

async function register(token: string, input: Record<string, unknown> = {}) {
  const answer = await director(token, REGISTER, { in: { name: newName(), ...input } });
  expect(answer.errors).toBeUndefined();
  return answer.data.registerApplication;
}

describe('Director (in-process handler, local AWS)', () => {
  let tenant: string;
  let admin: string;
  beforeEach(async () => {
    tenant = freshTenant();
    admin = await adminToken(tenant);
  });

  it('refuses requests without a valid access token with 401 before any GraphQL runs', async () => {
    for (const token of [undefined, 'not-a-jwt']) {
      const answer = await director(token, '{ viewer { id } }');
      expect(answer.status).toBe(401);
      expect(code(answer)).toBe('UNAUTHENTICATED');
      expect(answer.data).toBeUndefined();
    }
  });

  it('refuses an expired access token with 401 before any GraphQL runs', async () => {
    const client = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: ADMIN_SCOPES });
    const expired = (await issueAccessToken(accessTokenSigner, client.systemAuth, [...ADMIN_SCOPES], 'https://api.example.test', config(), -120)).accessToken;
    const answer = await director(expired, REGISTER, { in: { name: newName() } });
    expect(answer.status).toBe(401);
    expect(code(answer)).toBe('UNAUTHENTICATED');
    expect(answer.data).toBeUndefined();
    expect((await director(admin, LIST)).data.applications.totalCount).toBe(0);
  });

  it('refuses with 401 an access token whose issuer is not the configured PUBLIC_BASE_URL', async () => {
    const client = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: ADMIN_SCOPES });
    for (const issuer of ['https://evil.example', 'https://api.example.test/prod', 'http://api.example.test']) {
      const foreign = (await issueAccessToken(accessTokenSigner, client.systemAuth, [...ADMIN_SCOPES], issuer, config())).accessToken;
      const answer = await director(foreign, REGISTER, { in: { name: newName() } });
      expect({ issuer, status: answer.status, message: answer.errors?.[0]?.message }).toEqual({
        issuer, status: 401, message: 'Access token was issued by another issuer',
      });
    }
    expect((await director(admin, LIST)).data.applications.totalCount).toBe(0);
  });

  it('on the local stage without PUBLIC_BASE_URL, accepts only tokens issued for the base URL the request reached', async () => {
    const localStage = {
      STAGE: 'local',
      PUBLIC_BASE_URL: undefined,
      APPLICATIONS_TABLE: 'pairing-service-test-applications',
      SYSTEM_AUTHS_TABLE: 'pairing-service-test-system-auths',
      TOKENS_TABLE: 'pairing-service-test-tokens',
      SECRETS_PREFIX: 'pairing-service/test',
    };
    await withEnvironment(localStage, async () => {
      const client = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: ADMIN_SCOPES });
      const tokenOf = async (issuer: string) => (await issueAccessToken(accessTokenSigner, client.systemAuth, [...ADMIN_SCOPES], issuer, config())).accessToken;
      // director() sends Host api.example.test over https.
      expect((await director(await tokenOf('https://api.example.test'), LIST)).status).toBe(200);
      for (const issuer of ['https://other.example.test', 'http://api.example.test']) {
        const answer = await director(await tokenOf(issuer), LIST);
        expect({ issuer, status: answer.status, message: answer.errors?.[0]?.message }).toEqual({
          issuer, status: 401, message: 'Access token was issued by another issuer',
        });
      }
    });
  });

  it('answers 500 INTERNAL before any GraphQL runs, and logs why, on a deployed stage without PUBLIC_BASE_URL', async () => {
    const { result: answer, records } = await withEnvironment({ PUBLIC_BASE_URL: undefined }, () =>
      captureLogs('WARN', () => director(admin, REGISTER, { in: { name: newName() } })),
    );
    expect(answer.status).toBe(500);
    expect(answer.errors).toEqual([{ message: 'Internal error', extensions: { code: 'INTERNAL' } }]);
    expect(answer.data).toBeUndefined();
    expect(records.filter((record) => record.level === 'ERROR').map((record) => JSON.stringify(record))).toEqual([
      expect.stringMatching(/ConfigurationError.*PUBLIC_BASE_URL is not set/),
    ]);
    expect((await director(admin, LIST)).data.applications.totalCount).toBe(0);
  });

  it('refuses with 401 an access token signed with the service\'s key but issued a day in the future', async () => {
    const client = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: ADMIN_SCOPES });
    const tomorrow = Math.floor(Date.now() / 1000) + 24 * 3600;
    const future = await signJwsWithKms(kms, await signingKeys.active(), {
      scope: ADMIN_SCOPES.join(' '), tenant, client_kind: 'ADMIN',
      iss: 'https://api.example.test', sub: client.clientId, aud: accessTokenAudience(config().stage), iat: tomorrow, exp: tomorrow + 3600, jti: randomUUID(),
    }, { typ: 'at+jwt' });
    const answer = await director(future, REGISTER, { in: { name: newName() } });
    expect({ status: answer.status, message: answer.errors?.[0]?.message }).toEqual({ status: 401, message: 'Access token was issued in the future' });
    expect((await director(admin, LIST)).data.applications.totalCount).toBe(0);
  });

  it('answers an empty or malformed id like any unknown one: null or NOT_FOUND, never INTERNAL', async () => {
    const app = await register(admin);
    const byId: [string, string][] = [
      ['updateApplication', `mutation($id: ID!) { updateApplication(id: $id, in: { description: "x" }) { id } }`],
      ['unregisterApplication', `mutation($id: ID!) { unregisterApplication(id: $id) { id } }`],
      ['unpairApplication', `mutation($id: ID!) { unpairApplication(id: $id) { id } }`],
      ['getAuthTypesForApplication', `query($id: ID!) { getAuthTypesForApplication(appId: $id) { type } }`],
      ['generateAuthForApplication', `mutation($id: ID!) { generateAuthForApplication(id: $id, type: { type: "OAUTH2_CLIENT_CREDENTIALS" }, inputParams: {}) { systemAuthID } }`],
      ['requestOneTimeTokenForApplication', `mutation($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }`],
      ['requestClientCredentialsForApplication', `mutation($id: ID!) { requestClientCredentialsForApplication(id: $id) { id } }`],
      ['deleteSystemAuthForApplication', `mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id } }`],
    ];
    for (const id of ['', 'garbage', ' ', `${app.id}x`, app.id.toUpperCase(), 'name#x']) {
      expect((await director(admin, GET, { id })).data).toEqual({ application: null });
      for (const [field, query] of byId) {
        const answer = await director(admin, query, { id });
        expect({ field, id, code: code(answer) }).toEqual({ field, id, code: 'NOT_FOUND' });
      }
    }
    // Nothing was paired or changed on the way.
    const after = await director(admin, `query($id: ID!) { application(id: $id) { description status { condition } auths { id } } }`, { id: app.id });
    expect(after.data.application).toEqual({ description: null, status: { condition: 'INITIAL' }, auths: [] });
  });

  it('quotes an unknown id in a NOT_FOUND message cut to 64 characters', async () => {
    const long = 'a'.repeat(3000);
    for (const query of [UPDATE, UNREGISTER]) {
      const answer = await director(admin, query, { id: long, in: { description: 'x' } });
      expect(code(answer)).toBe('NOT_FOUND');
      expect(answer.errors?.[0].message).toBe(`application "${'a'.repeat(64)}…" not found`);
      expect(answer.text.length).toBeLessThan(500);
    }
    const auth = await director(admin, `mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id } }`, { id: long });
    expect(auth.errors?.[0].message).toBe(`No SystemAuth with id "${'a'.repeat(64)}…"`);
    const unknown = randomUUID();
    expect((await director(admin, UNREGISTER, { id: unknown })).errors?.[0].message).toBe(`application "${unknown}" not found`);
  });

  it('registers, reads, updates, lists and unregisters an application', async () => {
    const input = { name: newName(), description: 'Orders', providerName: 'ACME', baseUrl: 'https://orders.example.com', labels: { env: ['prod'] } };
    const registered = await director(admin, REGISTER, { in: input });
    expect(registered.status).toBe(200);
    const app = registered.data.registerApplication;
    expect(app).toMatchObject({ ...input, status: { condition: 'INITIAL', timestamp: app.createdAt } });
    expect(app.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    expect((await director(admin, GET, { id: app.id })).data.application).toEqual(app);

    const updated = await director(admin, UPDATE, { id: app.id, in: { description: 'Invoices', labels: null } });
    expect(updated.data.updateApplication).toMatchObject({ description: 'Invoices', labels: null, providerName: 'ACME', name: input.name });

    const listed = await director(admin, LIST);
    expect(listed.data.applications).toEqual({ data: [{ id: app.id, name: input.name }], totalCount: 1, pageInfo: { hasNextPage: false, endCursor: expect.any(String) } });

    expect((await director(admin, UNREGISTER, { id: app.id })).data.unregisterApplication).toEqual({ id: app.id, name: input.name });
    expect((await director(admin, GET, { id: app.id })).data.application).toBeNull();
    expect(code(await director(admin, UNREGISTER, { id: app.id }))).toBe('NOT_FOUND');
  });

  it('pages with first/after and keeps totalCount', async () => {
    for (let i = 0; i < 3; i++) await register(admin);
    const first = (await director(admin, LIST, { first: 2 })).data.applications;
    expect(first.data).toHaveLength(2);
    expect(first.totalCount).toBe(3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await director(admin, LIST, { first: 2, after: first.pageInfo.endCursor })).data.applications;
    expect(rest.data).toHaveLength(1);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(code(await director(admin, LIST, { after: 'garbage' }))).toBe('BAD_USER_INPUT');
    expect(code(await director(admin, LIST, { first: 101 }))).toBe('BAD_USER_INPUT');
  });

  it('answers invalid input with BAD_USER_INPUT naming the field, and duplicates with CONFLICT', async () => {
    const invalid = await director(admin, REGISTER, { in: { name: '9lives', baseUrl: 'ftp://x' } });
    expect(invalid.status).toBe(200);
    expect(code(invalid)).toBe('BAD_USER_INPUT');
    expect(invalid.errors?.[0].message).toContain('name: must not start with a digit');
    expect(invalid.errors?.[0].message).toContain('baseUrl:');
    // A form shows each message next to its field.
    expect(invalid.errors?.[0].extensions.violations).toEqual([
      { field: 'name', message: 'must not start with a digit' },
      { field: 'baseUrl', message: 'must be an absolute http:// or https:// URL' },
    ]);

    const app = await register(admin);
    const duplicate = await director(admin, REGISTER, { in: { name: app.name } });
    expect(code(duplicate)).toBe('CONFLICT');
    expect(duplicate.errors?.[0].message).toBe(`an application named ${app.name} already exists`);
    expect(duplicate.errors?.[0].extensions.violations).toEqual([{ field: 'name', message: `an application named ${app.name} already exists` }]);
  });

  it('refuses a mutation with more than one field before anything runs: 20 aliased client-credential requests create nothing', async () => {
    const app = await register(admin);
    const aliases = Array.from({ length: 20 }, (_, i) => `c${i}: requestClientCredentialsForApplication(id: $id) { id }`).join(' ');
    const answer = await director(admin, `mutation($id: ID!) { ${aliases} }`, { id: app.id });
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toMatch(/at most 1 field, this one has 20: send one request per change/);
    expect((await director(admin, AUTHS, { id: app.id })).data.application.auths).toEqual([]);
  });

  it('refuses a query above the cost limit with 400 naming the limit, before touching storage', async () => {
    const alias = (i: number) => `a${i}: applications(first: 100) { totalCount data { auths { certificates { serialNumber } } } }`;
    const query = `{ ${Array.from({ length: 100 }, (_, i) => alias(i)).join(' ')} }`;
    expect(Buffer.byteLength(query)).toBeLessThan(10_000);
    const answer = await director(admin, query);
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toMatch(/costs more than the limit of 5000/);
    expect(answer.data).toBeUndefined();
  });

  it('answers a variable of the wrong type with 400 BAD_USER_INPUT', async () => {
    const answer = await director(admin, REGISTER, { in: { name: 5 } });
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('BAD_USER_INPUT');
  });

  it("treats another tenant's applications as absent", async () => {
    const app = await register(admin);
    const stranger = await adminToken(freshTenant());
    expect((await director(stranger, GET, { id: app.id })).data.application).toBeNull();
    expect((await director(stranger, LIST)).data.applications.totalCount).toBe(0);
    expect(code(await director(stranger, UPDATE, { id: app.id, in: { description: 'x' } }))).toBe('NOT_FOUND');
    expect(code(await director(stranger, UNREGISTER, { id: app.id }))).toBe('NOT_FOUND');
    expect((await director(admin, GET, { id: app.id })).data.application.description).toBeNull();
  });

  it('lets an administrator without application:write read but not change', async () => {
    const app = await register(admin);
    const reader = await adminToken(tenant, ['application:read']);
    expect((await director(reader, GET, { id: app.id })).data.application.id).toBe(app.id);
    expect(code(await director(reader, REGISTER, { in: { name: newName() } }))).toBe('FORBIDDEN');
    expect(code(await director(reader, AUTHS, { id: app.id }))).toBe('FORBIDDEN');
  });

  describe('as an application', () => {
    it('sees itself as viewer, reads only itself, lists only itself', async () => {
      const app = await register(admin);
      const other = await register(admin);
      const { token } = await applicationClient(tenant, app.id);
      expect((await director(token, '{ viewer { id type tenant } }')).data.viewer).toEqual({ id: app.id, type: 'APPLICATION', tenant });
      expect((await director(token, GET, { id: app.id })).data.application.id).toBe(app.id);
      expect((await director(token, GET, { id: other.id })).data.application).toBeNull();
      const listed = (await director(token, LIST)).data.applications;
      expect(listed.data).toEqual([{ id: app.id, name: app.name }]);
      expect(listed.totalCount).toBe(1);
      expect(listed.pageInfo.hasNextPage).toBe(false);
      expect((await director(token, LIST, { after: listed.pageInfo.endCursor })).data.applications.data).toEqual([]);
    });

    it('is FORBIDDEN every admin mutation, even on itself', async () => {
      const app = await register(admin);
      const { token } = await applicationClient(tenant, app.id, ['application:read', 'application.auths:read']);
      expect(code(await director(token, REGISTER, { in: { name: newName() } }))).toBe('FORBIDDEN');
      expect(code(await director(token, UPDATE, { id: app.id, in: { description: 'mine' } }))).toBe('FORBIDDEN');
      expect(code(await director(token, UNREGISTER, { id: app.id }))).toBe('FORBIDDEN');
      expect((await director(admin, GET, { id: app.id })).data.application.description).toBeNull();
    });
  });

  it('lists the credentials of an application under auths, never with a secret', async () => {
    const app = await register(admin);
    const { clientId } = await applicationClient(tenant, app.id);
    const answer = await director(admin, AUTHS, { id: app.id });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.application.auths).toEqual([
      {
        id: clientId, type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'ACTIVE', clientId, clientSecret: null,
        tokenUrl: 'https://api.example.test/oauth2/token', scopes: ['application:read'],
      },
    ]);
  });
});
