// End to end over HTTP against `npm start`: PRIVATE_KEY_JWT pairing with a public key only, openid-client's PrivateKeyJwt
// client authentication getting tokens unmodified, a replayed assertion refused, key rotation, revocation, and the metadata.
import { randomUUID, webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import * as oauthClient from 'openid-client';
import { graphql } from '../support/clients';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, type LocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

const ecKeyPair = () => webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
const publicJwkText = async (key: webcrypto.CryptoKey) => JSON.stringify(await webcrypto.subtle.exportKey('jwk', key));

describe('PRIVATE_KEY_JWT pairing over HTTP (npm start)', () => {
  let stack: LocalStack | undefined;

  beforeAll(async () => {
    stack = await startLocalStack({ name: 'pkjwt-e2e' });
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('the metadata lists private_key_jwt and its signing algorithms, and openid-client reads it', async () => {
    const metadata = (await (await fetch(`${stack!.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, string[]>;
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA']));
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).not.toContain('none');
    expect(metadata.token_endpoint_auth_signing_alg_values_supported.filter((alg) => alg.startsWith('HS'))).toEqual([]);
  });

  it('pairs with a public key, openid-client PrivateKeyJwt gets tokens unmodified, a replay is refused, rotation and revocation work', async () => {
    const { admin } = stack!;
    const adminToken = await adminAccessToken(stack!);
    const registered = await graphql(admin.directorUrl, adminToken, 'mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name: `pk-${Date.now().toString(36)}` });
    const appId: string = registered.data.registerApplication.id;
    const types = await graphql(admin.directorUrl, adminToken, 'query($id: ID!) { getAuthTypesForApplication(appId: $id) { type } }', { id: appId });
    expect(types.data.getAuthTypesForApplication.map((t: { type: string }) => t.type)).toContain('PRIVATE_KEY_JWT');

    // A key that is not accepted: a clear BAD_USER_INPUT, nothing stored.
    const weak = await graphql(admin.directorUrl, adminToken,
      'mutation($id: ID!, $p: JSON!) { generateAuthForApplication(id: $id, type: {type: "PRIVATE_KEY_JWT"}, inputParams: $p) { systemAuthID } }',
      { id: appId, p: { publicKey: '{"kty":"oct","k":"c2VjcmV0"}' } });
    expect(weak.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('symmetric key') });

    const first = await ecKeyPair();
    const generated = await graphql(admin.directorUrl, adminToken,
      'mutation($id: ID!, $p: JSON!) { generateAuthForApplication(id: $id, type: {type: "PRIVATE_KEY_JWT"}, inputParams: $p) { type systemAuthID params } }',
      { id: appId, p: { publicKey: await publicJwkText(first.publicKey) } });
    expect(generated.errors).toBeUndefined();
    const { systemAuthID, params } = generated.data.generateAuthForApplication;
    expect(params).toMatchObject({ clientId: systemAuthID, tokenUrl: admin.tokenUrl, tokenEndpointAuthMethod: 'private_key_jwt', assertion: { aud: [admin.tokenUrl, stack!.baseUrl] } });
    expect(JSON.stringify(generated.data)).not.toMatch(/secret/i);

    // The application's own code: a strict client library, nothing but the pairing data and its private key.
    const strictGrant = async (privateKey: webcrypto.CryptoKey) =>
      oauthClient.clientCredentialsGrant(await oauthClient.discovery(new URL(stack!.baseUrl), params.clientId, undefined, oauthClient.PrivateKeyJwt(privateKey), {
        algorithm: 'oauth2', execute: [oauthClient.allowInsecureRequests],
      })).then((granted) => ({ status: 200, token: granted.access_token }), (error: unknown) => ({ status: (error as { status?: number }).status, token: undefined }));
    const granted = await strictGrant(first.privateKey);
    expect(granted.status).toBe(200);
    const itself = await graphql(admin.directorUrl, granted.token!, '{ viewer { id type } }');
    expect(itself.data).toEqual({ viewer: { id: appId, type: 'APPLICATION' } });

    // One assertion, sent twice: the second is a replay.
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256' }).setIssuer(params.clientId).setSubject(params.clientId)
      .setAudience(params.tokenUrl).setIssuedAt().setExpirationTime('60s').sign(first.privateKey);
    const post = () => fetch(params.tokenUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
    }).then(async (response) => ({ status: response.status, body: await response.json() as unknown }));
    expect((await post()).status).toBe(200);
    expect(await post()).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } });

    // Rotation: a second key, both work, the first removed.
    const second = await ecKeyPair();
    const added = await graphql(admin.directorUrl, adminToken, 'mutation($id: ID!, $k: String!) { addPublicKey(authID: $id, publicKey: $k) { publicKeys { kid } } }',
      { id: systemAuthID, k: await publicJwkText(second.publicKey) });
    expect(added.errors).toBeUndefined();
    const [firstKid, secondKid] = added.data.addPublicKey.publicKeys.map((key: { kid: string }) => key.kid);
    expect(firstKid).toBe(params.keyId);
    expect((await strictGrant(second.privateKey)).status).toBe(200);
    expect((await strictGrant(first.privateKey)).status).toBe(200);
    const removed = await graphql(admin.directorUrl, adminToken, 'mutation($id: ID!, $kid: ID!) { removePublicKey(authID: $id, keyId: $kid) { publicKeys { kid } } }', { id: systemAuthID, kid: firstKid });
    expect(removed.data.removePublicKey.publicKeys).toEqual([{ kid: secondKid }]);
    expect((await strictGrant(first.privateKey)).status).toBe(401);

    const listed = await graphql(admin.directorUrl, adminToken, 'query($id: ID!) { application(id: $id) { status { condition } auths { type clientId tokenUrl clientSecret publicKeys { kid lastUsedAt } } } }', { id: appId });
    expect(listed.data.application).toEqual({
      status: { condition: 'CONNECTED' },
      auths: [{ type: 'PRIVATE_KEY_JWT', clientId: systemAuthID, tokenUrl: admin.tokenUrl, clientSecret: null, publicKeys: [{ kid: secondKid, lastUsedAt: expect.any(String) }] }],
    });

    const deleted = await graphql(admin.directorUrl, adminToken, 'mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id status } }', { id: systemAuthID });
    expect(deleted.data.deleteSystemAuthForApplication).toEqual({ id: systemAuthID, status: 'REVOKED' });
    expect((await strictGrant(second.privateKey)).status).toBe(401);
  });
});
