// A CLIENT_CERTIFICATE pairing that is never finished reads EXPIRED in the Director once its latest one-time token expired; one that got a certificate stays ACTIVE.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config, resetConfig } from '../../../shared/config';
import { AUTH_SORT_KEY } from '../../../shared/system-auths/items';
import { freshTenant } from '../../support/local-aws';
import { CONFIGURATION, SIGN, adapter, callConnector, csrFor, csrToken } from '../connector/pairing-fixture';
import { administrator, director, sleep } from './director-calls';
import { aws } from '../../../functions/container';
import { caLifecycle } from '../../support/stores';

// Short enough to wait out, long enough for the calls made before the expiry (expiries are whole seconds).
const TTL_SECONDS = 3;
const previousTtl = process.env.ONE_TIME_TOKEN_TTL_SECONDS;

beforeAll(async () => {
  process.env.ONE_TIME_TOKEN_TTL_SECONDS = String(TTL_SECONDS);
  resetConfig();
  await caLifecycle.ensure();
});

afterAll(() => {
  if (previousTtl === undefined) delete process.env.ONE_TIME_TOKEN_TTL_SECONDS;
  else process.env.ONE_TIME_TOKEN_TTL_SECONDS = previousTtl;
  resetConfig();
});

const AUTHS = `query($id: ID!) { application(id: $id) { auths { id type status } } }`;

/** A tenant with an administrator and a registered application. */
async function registeredApplication() {
  const tenant = freshTenant();
  const admin = await administrator(tenant);
  const registered = await director(admin.accessToken, 'mutation { registerApplication(in: {name: "expiry"}) { id } }');
  expect(registered.errors).toBeUndefined();
  return { tenant, admin: admin.accessToken, appId: registered.data!.registerApplication.id as string };
}

/** A CLIENT_CERTIFICATE pairing of the application (the tokens function runs in-process: no Lambda endpoint here). */
async function pair(tenant: string, appId: string) {
  const result = await adapter.generate({ tenant, id: appId, name: 'expiry' }, {}, { publicBaseUrl: 'https://api.example.test' });
  return { tenant, appId, systemAuthId: result.systemAuthID, token: String(result.params.token), params: result.params };
}

/** Status of each auth of the application, by id, as the Director answers `application { auths { status } }`. */
async function statusesOf(admin: string, appId: string): Promise<Record<string, string>> {
  const answer = await director(admin, AUTHS, { id: appId });
  expect(answer.errors).toBeUndefined();
  return Object.fromEntries((answer.data!.application.auths as Array<{ id: string; status: string }>).map((auth) => [auth.id, auth.status]));
}

/** The status attribute as stored, bypassing every reader. */
async function storedStatus(systemAuthId: string): Promise<unknown> {
  const out = await aws.dynamo.send(new GetCommand({ TableName: config().systemAuthsTable, Key: { id: systemAuthId, sk: AUTH_SORT_KEY }, ConsistentRead: true }));
  return out.Item?.status;
}

/** Waits until every token issued so far has expired (expiries are whole epoch seconds, at most TTL away). */
const outliveTokens = () => sleep(TTL_SECONDS * 1000 + 1100);

test('an unredeemed pairing is PENDING, then EXPIRED once its token expired; stored PENDING, and a new pairing of the app works', async () => {
  const { tenant, admin, appId } = await registeredApplication();
  const first = await pair(tenant, appId);
  expect(await statusesOf(admin, appId)).toEqual({ [first.systemAuthId]: 'PENDING' });

  await outliveTokens();
  expect(await statusesOf(admin, appId)).toEqual({ [first.systemAuthId]: 'EXPIRED' });
  const refused = await callConnector(CONFIGURATION, {}, first.token);
  expect(refused.status).toBe(401);
  expect(refused.json.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  // Derived on read: the item itself is untouched.
  expect(await storedStatus(first.systemAuthId)).toBe('PENDING');

  const second = await pair(tenant, appId);
  expect(await statusesOf(admin, appId)).toEqual({ [first.systemAuthId]: 'EXPIRED', [second.systemAuthId]: 'PENDING' });
  expect((await callConnector(CONFIGURATION, {}, second.token)).status).toBe(200);
});

test('a pairing whose CSR token expired after configuration reads EXPIRED, and the CSR token is refused', async () => {
  const { tenant, admin, appId } = await registeredApplication();
  const pairing = await pair(tenant, appId);
  const token = await csrToken(pairing);
  expect(await statusesOf(admin, appId)).toEqual({ [pairing.systemAuthId]: 'PENDING' });

  await outliveTokens();
  expect(await statusesOf(admin, appId)).toEqual({ [pairing.systemAuthId]: 'EXPIRED' });
  expect((await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, token)).status).toBe(401);
  expect(await statusesOf(admin, appId)).toEqual({ [pairing.systemAuthId]: 'EXPIRED' });
});

test('a pairing that got its certificate stays ACTIVE after its tokens expired', async () => {
  const { tenant, admin, appId } = await registeredApplication();
  const pairing = await pair(tenant, appId);
  const signed = await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, await csrToken(pairing));
  expect(signed.status).toBe(200);
  expect(await statusesOf(admin, appId)).toEqual({ [pairing.systemAuthId]: 'ACTIVE' });

  await outliveTokens();
  expect(await statusesOf(admin, appId)).toEqual({ [pairing.systemAuthId]: 'ACTIVE' });
});
