// ClientAssertionAuthenticator (private_key_jwt) with a stand-in store: which check refuses which assertion, and that only a fully valid one spends its jti.
import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { ClientAssertionAuthenticator, MAX_CLIENT_ASSERTION_LENGTH } from '../../../shared/oauth/client-assertion';
import { parseClientPublicKey } from '../../../shared/oauth/client-public-keys';
import { ClientAuthenticationRefusedError } from '../../../shared/oauth/errors';
import type { SystemAuth } from '../../../shared/system-auths/types';

const ISSUER = 'https://api.example.test';
const audience = { issuer: ISSUER, tokenEndpoint: `${ISSUER}/oauth2/token` };
const NOW = new Date('2026-12-06T12:00:00Z');
const now = Math.floor(NOW.getTime() / 1000);
const CLIENT_ID = '0b6e4c52-6d59-4a43-9d0e-4f0d3a1f8c11';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spkiOf = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

async function clientWith(publicKey: KeyObject, status: SystemAuth['status'] = 'ACTIVE'): Promise<SystemAuth> {
  const key = await parseClientPublicKey(spkiOf(publicKey));
  return {
    id: CLIENT_ID, tenant: 'acme', kind: 'APPLICATION', type: 'PRIVATE_KEY_JWT', appId: 'app-1', status, scopes: ['application:read'],
    createdAt: '2026-12-01T00:00:00.000Z', publicKeys: [{ kid: key.kid, jwk: JSON.stringify(key.jwk), createdAt: '2026-12-01T00:00:00.000Z' }],
  };
}

function authenticatorOf(client: SystemAuth | undefined) {
  const spent = new Set<string>();
  const failures: string[] = [];
  const store = {
    get: jest.fn(async () => client),
    spendAssertionId: jest.fn(async (clientId: string, jti: string) => (spent.has(`${clientId}/${jti}`) ? false : (spent.add(`${clientId}/${jti}`), true))),
    markUsed: jest.fn(async () => true),
    end: jest.fn(async () => undefined),
  };
  const authenticator = new ClientAssertionAuthenticator(store, { record: async (id: string) => void failures.push(id) }, () => NOW);
  return { authenticator, store, failures };
}

const sign = (claims: Record<string, unknown>, alg = 'ES256', key: KeyObject = ec.privateKey) =>
  new SignJWT({ iss: CLIENT_ID, sub: CLIENT_ID, aud: audience.tokenEndpoint, exp: now + 60, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg })
    .sign(key);

async function refusalOf(promise: Promise<unknown>) {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ClientAuthenticationRefusedError);
  const { code, ...rest } = (error as ClientAuthenticationRefusedError).refusal;
  return { code, detail: 'detail' in rest ? rest.detail : undefined };
}

describe('ClientAssertionAuthenticator', () => {
  it('accepts an assertion signed by the client\'s key, addressed to the token endpoint or the issuer, and spends its jti once', async () => {
    const { authenticator, store } = authenticatorOf(await clientWith(ec.publicKey));
    const assertion = await sign({ jti: 'one' });
    await expect(authenticator.authenticate({ assertion }, audience)).resolves.toMatchObject({ client: { id: CLIENT_ID }, stampKey: true });
    expect(store.spendAssertionId).toHaveBeenCalledWith(CLIENT_ID, 'one', now + 60 + 30, NOW);
    expect(await refusalOf(authenticator.authenticate({ assertion }, audience))).toEqual({ code: 'REPLAYED_ASSERTION', detail: undefined });
    await expect(authenticator.authenticate({ assertion: await sign({ aud: ISSUER }) }, audience)).resolves.toBeDefined();
  });

  it.each([
    ['expired beyond the clock tolerance', { exp: now - 31 }, 'expired'],
    ['expiring more than 5 minutes ahead', { exp: now + 300 + 31 }, 'expires more than 300 s ahead'],
    ['addressed elsewhere', { aud: 'https://other.example/oauth2/token' }, 'claim aud check failed'],
    ['without jti', { jti: undefined }, 'claim jti missing'],
    ['with iss other than sub', { iss: randomUUID() }, 'iss and sub differ'],
  ])('refuses an assertion %s, spending nothing', async (_name, claims, detail) => {
    const { authenticator, store, failures } = authenticatorOf(await clientWith(ec.publicKey));
    expect(await refusalOf(authenticator.authenticate({ assertion: await sign(claims) }, audience))).toEqual({ code: 'INVALID_ASSERTION', detail });
    expect(store.spendAssertionId).not.toHaveBeenCalled();
    expect(failures).toEqual([CLIENT_ID]);
  });

  it('refuses another key, alg none, HS256 keyed with the public key, an alg of another kind of key, and an oversized assertion', async () => {
    const { authenticator, store } = authenticatorOf(await clientWith(ec.publicKey));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = encode({ iss: CLIENT_ID, sub: CLIENT_ID, aud: audience.tokenEndpoint, exp: now + 60, jti: randomUUID() });
    const hsInput = `${encode({ alg: 'HS256' })}.${claims}`;
    const cases = {
      'another key': await sign({}, 'ES256', other.privateKey),
      'alg none': `${encode({ alg: 'none' })}.${claims}.`,
      'HS256 with the public key': `${hsInput}.${createHmac('sha256', spkiOf(ec.publicKey)).update(hsInput).digest('base64url')}`,
      'RS256 for an EC key': await sign({}, 'RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    };
    for (const assertion of Object.values(cases)) {
      expect(await refusalOf(authenticator.authenticate({ assertion }, audience))).toEqual({
        code: 'INVALID_ASSERTION', detail: 'signature does not verify with a key of the client for its alg',
      });
    }
    const oversized = `${'a'.repeat(MAX_CLIENT_ASSERTION_LENGTH)}.b.c`;
    expect(await refusalOf(authenticator.authenticate({ assertion: oversized }, audience))).toEqual({
      code: 'INVALID_ASSERTION', detail: `longer than ${MAX_CLIENT_ASSERTION_LENGTH} characters`,
    });
    expect(store.spendAssertionId).not.toHaveBeenCalled();
  });

  it('refuses an unknown client, a revoked one, and a client_id that differs from sub', async () => {
    expect((await refusalOf(authenticatorOf(undefined).authenticator.authenticate({ assertion: await sign({}) }, audience))).code).toBe('UNKNOWN_CLIENT');
    expect((await refusalOf(authenticatorOf(await clientWith(ec.publicKey, 'REVOKED')).authenticator.authenticate({ assertion: await sign({}) }, audience))).code).toBe('NOT_ACTIVE');
    const { authenticator } = authenticatorOf(await clientWith(ec.publicKey));
    expect(await refusalOf(authenticator.authenticate({ assertion: await sign({}), clientId: randomUUID() }, audience))).toEqual({
      code: 'INVALID_ASSERTION', detail: 'client_id differs from the assertion\'s sub',
    });
    expect((await refusalOf(authenticator.authenticate({ assertion: await sign({ iss: 'x', sub: 'x' }) }, audience))).code).toBe('MALFORMED_CLIENT_ID');
  });
});
