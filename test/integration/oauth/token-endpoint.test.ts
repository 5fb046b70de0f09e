// The OAuth handler against DynamoDB Local + moto: grants, client authentication failures, scopes and the discovery documents.
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { handler } from '../../../functions/oauth/handler';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { ADMIN_SCOPES, APPLICATION_SCOPES } from '../../../shared/scopes';
import { accessTokenAudience, verifyAccessToken } from '../../../shared/oauth/access-tokens';
import { clientSecretName } from '../../../shared/oauth/client-secrets';
import { captureLogs } from '../../support/captured-logs';
import { withEnvironment } from '../../support/environment';
import { freshTenant } from '../../support/local-aws';
import { BASE_URL, basicAuthorization, oauthEvent, tokenRequest } from './token-requests';
import { oauthClients, systemAuths } from '../../support/stores';
import { config } from '../../../shared/config';
import { aws, signingKeys, secrets } from '../../../functions/container';

const applications = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));

const grant = (clientId: string, clientSecret: string, extra = '') =>
  handler(tokenRequest(`grant_type=client_credentials${extra}`, { Authorization: basicAuthorization(clientId, clientSecret) }));

/** The one refusal of every failed authentication; `challenged` when the client used HTTP Basic (RFC 6749 5.2). */
function expectInvalidClient(response: Awaited<ReturnType<typeof handler>>, challenged = true): void {
  expect(response.statusCode).toBe(401);
  expect(response.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
  if (challenged) expect(response.headers).toMatchObject({ 'www-authenticate': 'Basic realm="pairing-service"' });
  else expect(response.headers).not.toHaveProperty('www-authenticate');
  expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
}

describe('POST /oauth2/token', () => {
  it('grants an admin client a token with all its scopes, which then verifies', async () => {
    const tenant = freshTenant();
    const admin = await oauthClients.createAdmin(tenant);
    expect(admin.tenant).toBe(tenant);
    expect(Buffer.from(admin.clientSecret, 'base64url').length).toBeGreaterThanOrEqual(32);

    const response = await grant(admin.clientId, admin.clientSecret);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
    const body = JSON.parse(response.body);
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: ADMIN_SCOPES.join(' ') });

    const payload = decodeJwt(body.access_token);
    expect(payload).toMatchObject({
      iss: BASE_URL, sub: admin.clientId, aud: accessTokenAudience(config().stage), scope: ADMIN_SCOPES.join(' '), tenant, client_kind: 'ADMIN',
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload).not.toHaveProperty('app_id');
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    await expect(verifyAccessToken(signingKeys, body.access_token, BASE_URL, config())).resolves.toMatchObject({ sub: admin.clientId, tenant, clientKind: 'ADMIN' });
  });

  it('accepts client_secret_post and grants a requested subset of scopes', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    const response = await handler(tokenRequest(
      `grant_type=client_credentials&client_id=${admin.clientId}&client_secret=${encodeURIComponent(admin.clientSecret)}&scope=application%3Aread`,
    ));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).scope).toBe('application:read');
    expect(decodeJwt(JSON.parse(response.body).access_token).scope).toBe('application:read');
  });

  it('refuses scopes beyond the client with invalid_scope', async () => {
    const tenant = freshTenant();
    const app = await oauthClients.create({ tenant, kind: 'APPLICATION', appId: randomUUID(), scopes: ['application:read'] });
    const response = await grant(app.clientId, app.clientSecret, '&scope=application:read%20application:write');
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_scope', error_description: 'The client may not request: application:write' });
  });

  it('grants an application client a token with app_id, records lastUsedAt and sets the application CONNECTED', async () => {
    const tenant = freshTenant();
    const { id: appId } = await applications.register(tenant, { name: `grant-${randomUUID().slice(0, 8)}` });
    const app = await oauthClients.create({ tenant, kind: 'APPLICATION', appId, scopes: ['application:read'] });
    expect((await systemAuths.get(app.clientId))?.lastUsedAt).toBeUndefined();
    const before = Date.now();
    const response = await grant(app.clientId, app.clientSecret);
    expect(response.statusCode).toBe(200);
    expect(decodeJwt(JSON.parse(response.body).access_token)).toMatchObject({ client_kind: 'APPLICATION', app_id: appId, tenant });
    const lastUsedAt = (await systemAuths.get(app.clientId))?.lastUsedAt;
    expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(before - 1000);
    expect((await applications.require(tenant, appId)).status.condition).toBe('CONNECTED');
  });

  it('refuses with 401 invalid_client a client whose application was deleted behind its back, and revokes it', async () => {
    const tenant = freshTenant();
    const application = await applications.register(tenant, { name: `race-${randomUUID().slice(0, 8)}` });
    const app = await oauthClients.create({ tenant, kind: 'APPLICATION', appId: application.id, scopes: ['application:read'] });
    // Only the application items go, as when unregistering listed the SystemAuths before pairing wrote this client.
    await new ApplicationRepository(aws.dynamo, config().applicationsTable, config).delete(application);
    expectInvalidClient(await grant(app.clientId, app.clientSecret));
    await expect(applications.get(tenant, application.id)).resolves.toBeUndefined();
    await expect(systemAuths.get(app.clientId)).resolves.toBeUndefined();
    await expect(secrets.read(clientSecretName(app.clientId), 0)).resolves.toBeUndefined();
  });

  it('refuses a client of an application that never existed, which no grant can CONNECT into being', async () => {
    const tenant = freshTenant();
    const appId = randomUUID();
    const app = await oauthClients.create({ tenant, kind: 'APPLICATION', appId, scopes: ['application:read'] });
    expectInvalidClient(await grant(app.clientId, app.clientSecret));
    await expect(applications.get(tenant, appId)).resolves.toBeUndefined();
  });

  it('answers a wrong secret, an unknown client and a revoked client alike with 401 invalid_client', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    expectInvalidClient(await grant(admin.clientId, `${admin.clientSecret}x`));
    expectInvalidClient(await grant(admin.clientId, admin.clientSecret.slice(1)));
    expectInvalidClient(await grant(randomUUID(), admin.clientSecret));
    expectInvalidClient(await grant('not-a-uuid', admin.clientSecret));

    await expect(oauthClients.revokeById(admin.clientId)).resolves.toBe(true);
    expectInvalidClient(await grant(admin.clientId, admin.clientSecret));
  });

  it('refuses a client whose SystemAuth is no longer ACTIVE', async () => {
    const tenant = freshTenant();
    const app = await oauthClients.create({ tenant, kind: 'APPLICATION', appId: randomUUID(), scopes: ['application:read'] });
    await systemAuths.updateStatus(tenant, app.clientId, 'REVOKED');
    expectInvalidClient(await grant(app.clientId, app.clientSecret));
  });

  it('answers failed form-field authentication (client_secret_post) with 401 and no challenge', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    expectInvalidClient(await handler(tokenRequest(`grant_type=client_credentials&client_id=${admin.clientId}&client_secret=nope`)), false);
  });
});

describe('discovery documents', () => {
  it('publishes RFC 8414 metadata with absolute URLs', async () => {
    const response = await handler(oauthEvent('GET', '/.well-known/oauth-authorization-server'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      issuer: BASE_URL,
      token_endpoint: `${BASE_URL}/oauth2/token`,
      jwks_uri: `${BASE_URL}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA', 'Ed25519'],
    });
    // Exactly what pairing grants: application:write is an administrator's, and pairing refuses it.
    expect(JSON.parse(response.body).scopes_supported).toEqual(['application:read', 'application.auths:read']);
    expect(JSON.parse(response.body).scopes_supported).toEqual([...APPLICATION_SCOPES]);
  });

  it('announces RFC 8705 (tls_client_auth, bound tokens, the mTLS token endpoint) only when the stage has an mTLS endpoint', async () => {
    expect(JSON.parse((await handler(oauthEvent('GET', '/.well-known/oauth-authorization-server'))).body)).not.toHaveProperty('mtls_endpoint_aliases');
    const withMtls = await withEnvironment({ MTLS_BASE_URL: 'https://mtls.example.test' }, () => handler(oauthEvent('GET', '/.well-known/oauth-authorization-server')));
    expect(JSON.parse(withMtls.body)).toMatchObject({
      token_endpoint: `${BASE_URL}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'],
      tls_client_certificate_bound_access_tokens: true,
      mtls_endpoint_aliases: { token_endpoint: 'https://mtls.example.test/oauth2/token' },
    });
  });

  it('may be cached when the base URL is configured; built from the Host (local stage only), it is for that request alone', async () => {
    const configured = await handler(oauthEvent('GET', '/.well-known/oauth-authorization-server', { headers: { Host: 'other.example' } }));
    expect(JSON.parse(configured.body).issuer).toBe(BASE_URL);
    expect(configured.headers).toMatchObject({ 'cache-control': 'public, max-age=300' });
    const derived = await withEnvironment({ STAGE: 'local', PUBLIC_BASE_URL: undefined }, () =>
      handler(oauthEvent('GET', '/.well-known/oauth-authorization-server', { headers: { Host: '127.0.0.1:3000', 'X-Forwarded-Proto': 'http' } })),
    );
    expect(JSON.parse(derived.body).issuer).toBe('http://127.0.0.1:3000');
    expect(derived.headers).toMatchObject({ 'cache-control': 'no-store' });
  });

  it('publishes the kid of issued tokens in the JWKS, without private key material', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    const token = JSON.parse((await grant(admin.clientId, admin.clientSecret)).body).access_token;
    const response = await handler(oauthEvent('GET', '/.well-known/jwks.json'));
    expect(response.statusCode).toBe(200);
    const jwks = JSON.parse(response.body);
    const key = jwks.keys.find((k: { kid: string }) => k.kid === decodeProtectedHeader(token).kid);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    for (const k of jwks.keys) expect(k).not.toHaveProperty('d');
  });

  it('answers an unknown path with 404', async () => {
    expect((await handler(oauthEvent('GET', '/.well-known/openid-configuration'))).statusCode).toBe(404);
  });
});

describe('a deployed stage without PUBLIC_BASE_URL', () => {
  it('answers the metadata and token requests with 500 server_error, logs why, and authenticates nobody; the JWKS still answers', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    const { result: responses, records } = await withEnvironment({ PUBLIC_BASE_URL: undefined }, () =>
      captureLogs('INFO', async () => [
        await handler(oauthEvent('GET', '/.well-known/oauth-authorization-server', { headers: { Host: 'evil.example' } })),
        await handler(tokenRequest('grant_type=client_credentials', { Host: 'evil.example', Authorization: basicAuthorization(admin.clientId, admin.clientSecret) })),
        await handler(oauthEvent('GET', '/.well-known/jwks.json')),
      ]),
    );
    const [metadata, token, jwks] = responses;
    for (const response of [metadata!, token!]) {
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toEqual({ error: 'server_error' });
    }
    expect(jwks!.statusCode).toBe(200);
    const errors = records.filter((record) => record.level === 'ERROR');
    expect(errors).toHaveLength(2);
    for (const record of errors) expect(JSON.stringify(record)).toContain('PUBLIC_BASE_URL is not set');
    // Refused before the client was authenticated: its use was not recorded.
    expect((await systemAuths.get(admin.clientId))?.lastUsedAt).toBeUndefined();
  });
});

describe('a KMS failure while signing', () => {
  it('answers 500 server_error with no AWS text, logs the failure, and the JWKS still answers', async () => {
    const { awsError, injectFailure } = await import('../pairing/aws-failures');
    const admin = await oauthClients.createAdmin(freshTenant());
    const refusal = injectFailure(aws.kms, { command: 'SignCommand', moment: 'before-sending' }, awsError('AccessDeniedException'));
    let result;
    try {
      result = await captureLogs('INFO', async () => [await grant(admin.clientId, admin.clientSecret), await handler(oauthEvent('GET', '/.well-known/jwks.json'))]);
    } finally {
      refusal.remove();
    }
    const [token, jwks] = result.result;
    expect(refusal.seen).toHaveLength(1);
    expect({ status: token!.statusCode, body: JSON.parse(token!.body) }).toEqual({ status: 500, body: { error: 'server_error' } });
    expect(token!.body).not.toMatch(/arn:|AccessDenied|kms/i);
    expect(jwks!.statusCode).toBe(200);
    expect(result.records.filter((record) => record.level === 'ERROR').map((record) => JSON.stringify(record))).toEqual([expect.stringContaining('AccessDeniedException')]);
    // The next grant signs again.
    expect((await grant(admin.clientId, admin.clientSecret)).statusCode).toBe(200);
  });
});
