// POST /oauth2/introspect (RFC 7662) through the oauth handler against DynamoDB Local + moto: active tokens with their
// claims, and active: false for expired, revoked, deleted, foreign and garbage tokens; refused callers and bad requests.
import { randomUUID } from 'node:crypto';
import { handler } from '../../../functions/oauth/handler';
import { ApplicationService } from '../../../shared/applications/service';
import { accessTokenAudience, CLOCK_TOLERANCE_SECONDS, issueAccessToken } from '../../../shared/oauth/access-tokens';
import { freshTenant } from '../../support/local-aws';
import { config } from '../../../shared/config';
import { applicationStore, oauthClients, systemAuths } from '../../support/stores';
import { BASE_URL, basicAuthorization, oauthEvent, tokenRequest } from './token-requests';

const applications = new ApplicationService(applicationStore);
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

const introspect = (body: string, headers: Record<string, string> = {}) =>
  handler(oauthEvent('POST', '/oauth2/introspect', { body, headers: { ...FORM, ...headers } }));

async function tokenOf(clientId: string, clientSecret: string): Promise<string> {
  const response = await handler(tokenRequest('grant_type=client_credentials', { Authorization: basicAuthorization(clientId, clientSecret) }));
  return JSON.parse(response.body).access_token as string;
}

/** An administrator (the caller) and an application client of one tenant, each with a token. */
async function tenantWithClients() {
  const tenant = freshTenant('intro');
  const admin = await oauthClients.createAdmin(tenant);
  const { id: appId } = await applications.register(tenant, { name: `intro-${randomUUID().slice(0, 8)}` });
  const app = await oauthClients.create({ tenant, kind: 'APPLICATION', appId, scopes: ['application:read'] });
  return { tenant, admin, appId, app, appToken: await tokenOf(app.clientId, app.clientSecret) };
}

const answerOf = async (token: string, caller: { clientId: string; clientSecret: string }) => {
  const response = await introspect(`token=${encodeURIComponent(token)}`, { Authorization: basicAuthorization(caller.clientId, caller.clientSecret) });
  expect(response.statusCode).toBe(200);
  expect(response.headers).toMatchObject({ 'cache-control': 'no-store' });
  return JSON.parse(response.body) as Record<string, unknown>;
};

test('an active token of the caller\'s tenant: active with its claims (Basic and client_secret_post alike)', async () => {
  const { tenant, admin, appId, app, appToken } = await tenantWithClients();
  const answer = await answerOf(appToken, admin);
  expect(answer).toEqual({
    active: true, scope: 'application:read', client_id: app.clientId, token_type: 'Bearer', exp: expect.any(Number), iat: expect.any(Number),
    sub: app.clientId, aud: accessTokenAudience(config().stage), iss: BASE_URL, jti: expect.any(String), tenant, client_kind: 'APPLICATION', app_id: appId,
  });
  const posted = await introspect(`token=${appToken}&client_id=${admin.clientId}&client_secret=${encodeURIComponent(admin.clientSecret)}&token_type_hint=access_token`);
  expect(JSON.parse(posted.body)).toMatchObject({ active: true, sub: app.clientId });
  // The application may ask about its own token too (any client of the tenant).
  expect(await answerOf(appToken, app)).toMatchObject({ active: true });
});

test('active: false for an expired token, a revoked client\'s, a deleted application\'s, another tenant\'s and garbage', async () => {
  const { admin, app, appToken } = await tenantWithClients();
  const other = await tenantWithClients();
  // Another tenant's valid token: the caller learns nothing about it.
  expect(await answerOf(other.appToken, admin)).toEqual({ active: false });
  expect(await answerOf(appToken, other.admin)).toEqual({ active: false });
  // Expired (beyond the verifiers' clock tolerance).
  const auth = (await systemAuths.get(app.clientId))!;
  const expired = await issueAccessToken(auth, ['application:read'], BASE_URL, config(), -(CLOCK_TOLERANCE_SECONDS + 60));
  expect(await answerOf(expired.accessToken, admin)).toEqual({ active: false });
  // Garbage, and a token signed for another issuer.
  expect(await answerOf('not-a-token', admin)).toEqual({ active: false });
  expect(await answerOf(`${appToken.slice(0, -4)}AAAA`, admin)).toEqual({ active: false });
  const elsewhere = await issueAccessToken(auth, ['application:read'], 'https://other.example.test', config());
  expect(await answerOf(elsewhere.accessToken, admin)).toEqual({ active: false });

  // The application is deleted behind the client's back: its tokens are no longer active.
  const second = await tenantWithClients();
  await applicationStore.delete((await applications.get(second.tenant, second.appId))!);
  expect(await answerOf(second.appToken, second.admin)).toEqual({ active: false });

  // The client is revoked: its token, valid a moment ago, is inactive from the next introspection on.
  expect(await answerOf(appToken, admin)).toMatchObject({ active: true });
  await oauthClients.revoke((await systemAuths.get(app.clientId))!);
  expect(await answerOf(appToken, admin)).toEqual({ active: false });
});

test('a caller that does not authenticate is refused 401 invalid_client; a malformed request 400, naming what is wrong', async () => {
  const { admin, appToken } = await tenantWithClients();
  const wrong = await introspect(`token=${appToken}`, { Authorization: basicAuthorization(admin.clientId, 'wrong-secret') });
  expect(wrong.statusCode).toBe(401);
  expect(JSON.parse(wrong.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
  const anonymous = await introspect(`token=${appToken}`);
  expect(anonymous.statusCode).toBe(401);
  expect(JSON.parse(anonymous.body).error).toBe('invalid_client');

  const auth = { Authorization: basicAuthorization(admin.clientId, admin.clientSecret) };
  const missing = await introspect('token_type_hint=access_token', auth);
  expect(missing.statusCode).toBe(400);
  expect(JSON.parse(missing.body)).toEqual({ error: 'invalid_request', error_description: 'token is missing' });
  const json = await handler(oauthEvent('POST', '/oauth2/introspect', { body: JSON.stringify({ token: appToken }), headers: { 'Content-Type': 'application/json', ...auth } }));
  expect(json.statusCode).toBe(400);
  expect(JSON.parse(json.body).error_description).toBe('Content-Type must be application/x-www-form-urlencoded');
  const twice = await introspect(`token=${appToken}&token=${appToken}`, auth);
  expect(JSON.parse(twice.body).error_description).toBe('Parameter token is repeated');
});

test('the authorization server metadata names the introspection endpoint', async () => {
  const response = await handler(oauthEvent('GET', '/.well-known/oauth-authorization-server'));
  expect(JSON.parse(response.body)).toMatchObject({
    introspection_endpoint: `${BASE_URL}/oauth2/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  });
});
