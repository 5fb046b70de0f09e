// The PRIVATE_KEY_JWT pairing type against DynamoDB Local + moto: pairing stores a public key and nothing secret; the token
// endpoint accepts one assertion once and refuses every bad one with invalid_client, changing nothing; key rotation, revocation, quota.
import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApplicationService } from '../../../shared/applications/service';
import { config } from '../../../shared/config';
import { verifyAccessToken } from '../../../shared/oauth/access-tokens';
import { CLIENT_ASSERTION_TYPE } from '../../../shared/oauth/client-assertion';
import { freshTenant, scanAll } from '../../support/local-aws';
import {
  applicationStore, newAuditRecorder, oauthClients, pairing, systemAuths, tokenEndpointAnsweringAtOnce,
} from '../../support/stores';
import { BASE_URL, tokenRequest } from '../oauth/token-requests';
import { signingKeys } from '../../../functions/container';
import { noFollowUps } from '../../support/caller-trail';

const TOKEN_URL = `${BASE_URL}/oauth2/token`;
const context = { publicBaseUrl: BASE_URL };
const applications = new ApplicationService(applicationStore);
const audit = newAuditRecorder();
const tokens = tokenEndpointAnsweringAtOnce(audit);

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

async function pairedApplication(publicKey: string | object = pem(ec.publicKey)) {
  const tenant = freshTenant();
  const app = await applications.register(tenant, { name: `pk-${randomUUID().slice(0, 8)}` });
  const result = await pairing.generate({ tenant, id: app.id, name: app.name }, 'PRIVATE_KEY_JWT', { publicKey }, context);
  return { tenant, app, result, clientId: result.systemAuthID };
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface AssertionOptions {
  alg?: string;
  key?: KeyObject | Uint8Array;
  aud?: string | string[];
  exp?: number;
  iss?: string;
  jti?: string;
  kid?: string;
}

/** A client assertion as RFC 7523 2.2 asks for it, each part overridable. */
async function assertion(clientId: string, options: AssertionOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: options.jti ?? randomUUID() })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuer(options.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(options.aud ?? TOKEN_URL)
    .setIssuedAt(now)
    .setExpirationTime(options.exp ?? now + 60)
    .sign(options.key ?? ec.privateKey);
}

const grant = (clientAssertion: string, extra: Record<string, string> = {}): Promise<APIGatewayProxyResult> =>
  tokens.handle(tokenRequest(new URLSearchParams({
    grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion, ...extra,
  }).toString()));

const body = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Record<string, unknown>;

/** An unsigned JWT (alg none) with the given claims. */
const unsecured = (claims: Record<string, unknown>) =>
  `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe('PRIVATE_KEY_JWT pairing', () => {
  it('stores the public key and nothing secret, and answers the client id, token URL and the exact assertion rules', async () => {
    const { tenant, app, result, clientId } = await pairedApplication();
    expect(result.params).toEqual({
      clientId,
      tokenUrl: TOKEN_URL,
      scopes: ['application:read'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      keyId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      assertion: {
        clientAssertionType: CLIENT_ASSERTION_TYPE, iss: clientId, sub: clientId, aud: [TOKEN_URL, BASE_URL], algorithms: ['ES256'],
        maxLifetimeSeconds: 300, clockToleranceSeconds: 30, jti: expect.any(String),
      },
    });
    const stored = await systemAuths.get(clientId);
    expect(stored).toEqual({
      id: clientId, tenant, kind: 'APPLICATION', type: 'PRIVATE_KEY_JWT', appId: app.id, status: 'ACTIVE', scopes: ['application:read'],
      createdAt: expect.any(String), publicKeys: [{ kid: result.params.keyId, jwk: expect.any(String), createdAt: expect.any(String) }],
    });
    expect(Object.keys(JSON.parse(stored!.publicKeys![0].jwk) as object).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    // Nothing under the client's name in Secrets Manager, and no secret verifier.
    await expect(oauthClients.authenticate(clientId, 'anything')).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a key that is not accepted with BAD_USER_INPUT naming the field and the problem, storing nothing', async () => {
    const tenant = freshTenant();
    const app = await applications.register(tenant, { name: 'weak-key' });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await expect(pairing.generate({ tenant, id: app.id, name: app.name }, 'PRIVATE_KEY_JWT', { publicKey: pem(weak.publicKey) }, context))
      .rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: 'inputParams.publicKey: the RSA key has 1024 bits: at least 2048 are required' });
    await expect(pairing.generate({ tenant, id: app.id, name: app.name }, 'PRIVATE_KEY_JWT', {}, context))
      .rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('publicKey') });
    expect(await systemAuths.listOfApplication(tenant, app.id)).toEqual([]);
  });

  it('grants a token for a good assertion (aud = token URL or issuer), once per jti, and sets the application CONNECTED', async () => {
    const { tenant, app, clientId } = await pairedApplication();
    const first = await assertion(clientId);
    const granted = await grant(first);
    expect(granted.statusCode).toBe(200);
    expect(body(granted)).toMatchObject({ token_type: 'Bearer', scope: 'application:read' });
    await expect(verifyAccessToken(signingKeys, String(body(granted).access_token), BASE_URL, config())).resolves.toMatchObject({ sub: clientId, tenant, appId: app.id });
    expect((await applications.require(tenant, app.id)).status.condition).toBe('CONNECTED');
    const used = await systemAuths.get(clientId);
    expect(used?.lastUsedAt).toEqual(expect.any(String));
    expect(used?.publicKeys?.[0].lastUsedAt).toEqual(used?.lastUsedAt);

    // The same assertion again: a replay.
    const replayed = await grant(first);
    expect({ status: replayed.statusCode, body: body(replayed) }).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } });
    expect(await systemAuths.get(clientId)).toEqual(used);

    expect((await grant(await assertion(clientId, { aud: BASE_URL }))).statusCode).toBe(200);
    expect((await grant(await assertion(clientId), { client_id: clientId })).statusCode).toBe(200);
  });

  it('refuses expired, wrong-audience, wrong-key, alg none, HS256-with-the-public-key, oversized and malformed assertions with invalid_client, changing nothing', async () => {
    const { clientId, tenant, app } = await pairedApplication(pem(rsa.publicKey));
    const before = await systemAuths.get(clientId);
    const now = Math.floor(Date.now() / 1000);
    const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = Buffer.from(pem(rsa.publicKey));
    const hs256 = await (async () => {
      // HS256 keyed with the registered public key's PEM, the classic algorithm confusion.
      const header = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
      const claims = Buffer.from(JSON.stringify({ iss: clientId, sub: clientId, aud: TOKEN_URL, exp: now + 60, jti: randomUUID() })).toString('base64url');
      return `${header}.${claims}.${createHmac('sha256', publicPem).update(`${header}.${claims}`).digest('base64url')}`;
    })();
    const bad: Record<string, string> = {
      expired: await assertion(clientId, { alg: 'RS256', key: rsa.privateKey, exp: now - 120 }),
      'too far ahead': await assertion(clientId, { alg: 'RS256', key: rsa.privateKey, exp: now + 3600 }),
      'wrong audience': await assertion(clientId, { alg: 'RS256', key: rsa.privateKey, aud: 'https://elsewhere.example/oauth2/token' }),
      'wrong key': await assertion(clientId, { alg: 'RS256', key: otherRsa.privateKey }),
      'wrong kid': await assertion(clientId, { alg: 'RS256', key: rsa.privateKey, kid: 'not-a-key-of-the-client' }),
      'alg not of the key': await assertion(clientId, { alg: 'ES256', key: ec.privateKey }),
      'iss other than sub': await assertion(clientId, { alg: 'RS256', key: rsa.privateKey, iss: randomUUID() }),
      'alg none': unsecured({ iss: clientId, sub: clientId, aud: TOKEN_URL, exp: now + 60, jti: randomUUID() }),
      'HS256 with the public key': hs256,
      oversized: await assertion(clientId, { alg: 'RS256', key: rsa.privateKey, jti: 'x'.repeat(5000) }),
      'not a JWT': 'not-a-jwt',
    };
    for (const [name, presented] of Object.entries(bad)) {
      const refused = await grant(presented);
      expect({ name, status: refused.statusCode, body: body(refused) }).toEqual({ name, status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } });
    }
    expect(await systemAuths.get(clientId)).toEqual(before);
    expect((await applications.require(tenant, app.id)).status.condition).toBe('INITIAL');
    // No jti was spent by a refused assertion.
    const spent = (await scanAll(config().systemAuthsTable)) as { id: string; sk: string }[];
    expect(spent.filter((item) => item.id === clientId && item.sk.startsWith('JTI#'))).toEqual([]);
    // A client_id beside the assertion must be the assertion's, and a secret beside it is one method too many.
    expect(body(await grant(await assertion(clientId, { alg: 'RS256', key: rsa.privateKey }), { client_id: randomUUID() }))).toMatchObject({ error: 'invalid_client' });
    expect(body(await grant(await assertion(clientId, { alg: 'RS256', key: rsa.privateKey }), { client_secret: 'x' }))).toMatchObject({ error: 'invalid_request' });
  });

  it('rotates keys: a second key works beside the first, removing the first refuses it, the last key stays', async () => {
    const { tenant, clientId, result } = await pairedApplication();
    const firstKid = String(result.params.keyId);
    const second = generateKeyPairSync('ed25519');
    const { systemAuth, kid } = await pairing.addPublicKey(tenant, clientId, JSON.stringify(second.publicKey.export({ format: 'jwk' })));
    expect(systemAuth.publicKeys?.map((key) => key.kid)).toEqual([firstKid, kid]);
    await expect(pairing.addPublicKey(tenant, clientId, pem(rsa.publicKey))).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('at most 2 live public keys') });
    expect((await grant(await assertion(clientId))).statusCode).toBe(200);
    expect((await grant(await assertion(clientId, { alg: 'EdDSA', key: second.privateKey, kid }))).statusCode).toBe(200);

    await pairing.removePublicKey(tenant, clientId, firstKid);
    expect((await grant(await assertion(clientId))).statusCode).toBe(401);
    expect((await grant(await assertion(clientId, { alg: 'EdDSA', key: second.privateKey }))).statusCode).toBe(200);
    await expect(pairing.removePublicKey(tenant, clientId, kid)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('last live public key') });
    await expect(pairing.removePublicKey(tenant, clientId, firstKid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pairing.addPublicKey('another-tenant', clientId, pem(rsa.publicKey))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers its AppSystemAuth and key rotation through its adapter: other types have no public keys, it has no secrets', async () => {
    const { tenant, app, clientId, result } = await pairedApplication();
    const stored = (await systemAuths.getOfTenant(tenant, clientId))!;
    expect(pairing.toAppSystemAuth(stored, context)).toMatchObject({
      clientId, tokenUrl: TOKEN_URL, clientSecret: null, secrets: null, holdsCertificates: false,
      publicKeys: [{ kid: result.params.keyId, createdAt: stored.createdAt, lastUsedAt: null }],
      presentation: expect.objectContaining({ credentialNoun: 'OAuth client (private key JWT)', handoverWarning: null }),
    });
    const oauth = await pairing.generate({ tenant, id: app.id, name: app.name }, 'OAUTH2_CLIENT_CREDENTIALS', {}, context);
    const before = await systemAuths.getOfTenant(tenant, oauth.systemAuthID);
    await expect(pairing.addPublicKey(tenant, oauth.systemAuthID, pem(rsa.publicKey))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT', message: `SystemAuth ${oauth.systemAuthID} is a OAUTH2_CLIENT_CREDENTIALS credential: only PRIVATE_KEY_JWT credentials have public keys`,
    });
    expect(await systemAuths.getOfTenant(tenant, oauth.systemAuthID)).toEqual(before);
    expect(pairing.toAppSystemAuth(before!, context).publicKeys).toBeNull();
    await expect(pairing.rotateClientSecret(tenant, clientId)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT', message: expect.stringContaining('only OAUTH2_CLIENT_CREDENTIALS credentials have secrets'),
    });
    expect(await systemAuths.getOfTenant(tenant, clientId)).toEqual(stored);
  });

  it('revocation (deleteSystemAuth, unpair) refuses the client at once and frees its OAuth client quota slot', async () => {
    const { tenant, app, clientId } = await pairedApplication();
    const counter = async () => ((await scanAll(config().systemAuthsTable)) as { id: string; sk: string; count?: number }[])
      .find((item) => item.id === `quota#${tenant}` && item.sk === 'OAUTH_CLIENTS')?.count;
    expect(await counter()).toBe(1);
    await expect(pairing.revokeSystemAuth(tenant, clientId, noFollowUps)).resolves.toMatchObject({ id: clientId, status: 'REVOKED' });
    expect(await systemAuths.get(clientId)).toBeUndefined();
    expect(await counter()).toBe(0);
    expect((await grant(await assertion(clientId))).statusCode).toBe(401);

    const again = await pairing.generate({ tenant, id: app.id, name: app.name }, 'PRIVATE_KEY_JWT', { publicKey: pem(ec.publicKey) }, context);
    await pairing.revokeApplicationCredentials(tenant, app.id, noFollowUps);
    expect(await systemAuths.get(again.systemAuthID)).toBeUndefined();
    expect(await counter()).toBe(0);
  });
});
