// Access-token signing and verification against the signing keys in moto: rotation, and every way a token is refused.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { deleteSecret, readSecret } from '../../../shared/aws/secrets';
import { config, resetConfig } from '../../../shared/config';
import { UnauthenticatedError } from '../../../shared/errors';
import { accessTokenAudience, CLOCK_TOLERANCE_SECONDS, issueAccessToken, verifyAccessToken } from '../../../shared/oauth/access-tokens';
import {
  activeSigningKey,
  forgetSigningKeys,
  publicJwks,
  rotateSigningKey,
} from '../../../shared/oauth/signing-keys';
import type { SystemAuth } from '../../../shared/system-auths/types';
import { withEnvironment } from '../../support/environment';
import { freshTenant } from '../../support/local-aws';

/** The issuer of the tokens these tests sign, and the one verifyAccessToken is asked to expect. */
const ISSUER = 'https://api.example.test';

const admin = (): SystemAuth => ({
  id: randomUUID(),
  tenant: freshTenant(),
  kind: 'ADMIN',
  type: 'OAUTH2_CLIENT_CREDENTIALS',
  status: 'ACTIVE',
  scopes: ['application:read'],
  createdAt: new Date().toISOString(),
});

async function refusal(jwt: string): Promise<string> {
  const error = await verifyAccessToken(jwt, ISSUER).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return (error as Error).message;
}

/** A token signed with the real active key, with claims chosen by the test. */
async function signedWithActiveKey(claims: Record<string, unknown>, header: Record<string, string> = {}): Promise<string> {
  const { kid, alg, key } = await activeSigningKey();
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ISSUER, sub: randomUUID(), aud: accessTokenAudience(), iat: now, exp: now + 60, jti: randomUUID(),
    tenant: 't', client_kind: 'ADMIN', scope: 'application:read',
    ...claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header })
    .sign(key);
}

describe('signing keys', () => {
  it('creates one key when several processes race to create the first one', async () => {
    // A prefix of its own, so this test sees a missing key; each isolated module copy stands for one process.
    const prefix = `pairing-service/test-race-${randomUUID()}`;
    const saved = process.env.SECRETS_PREFIX;
    process.env.SECRETS_PREFIX = prefix;
    resetConfig();
    try {
      const processes: Array<typeof import('../../../shared/oauth/signing-keys')> = [];
      for (let i = 0; i < 4; i += 1) {
        jest.isolateModules(() => {
          processes.push(require('../../../shared/oauth/signing-keys'));
        });
      }
      await Promise.all(processes.map((p) => p.ensureSigningKey()));
      const stored = JSON.parse((await readSecret(`${prefix}/token-signing-keys`, 0))!);
      expect(stored.keys).toHaveLength(1);
      const actives = await Promise.all(processes.map(async (p) => (await p.activeSigningKey()).kid));
      expect(new Set(actives)).toEqual(new Set([stored.activeKid]));
    } finally {
      await deleteSecret(`${prefix}/token-signing-keys`);
      process.env.SECRETS_PREFIX = saved;
      resetConfig();
    }
  });

  it('keeps verifying tokens signed before a rotation, and signs new ones with the new key', async () => {
    const client = admin();
    const before = await issueAccessToken(client, ['application:read'], ISSUER);
    const oldKid = decodeProtectedHeader(before.accessToken).kid;

    const newKid = await rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    const kids = (await publicJwks()).keys.map((k) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));

    await expect(verifyAccessToken(before.accessToken, ISSUER)).resolves.toMatchObject({ sub: client.id });
    const after = await issueAccessToken(client, ['application:read'], ISSUER);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
    // A process that still holds the keys from before the rotation finds the new kid by re-reading.
    forgetSigningKeys();
    await expect(verifyAccessToken(after.accessToken, ISSUER)).resolves.toMatchObject({ sub: client.id });
  });
});

describe('verifyAccessToken refuses', () => {
  it('an expired token', async () => {
    const issued = await issueAccessToken(admin(), ['application:read'], ISSUER, -120);
    expect(await refusal(issued.accessToken)).toBe('Access token has expired');
  });

  it('a token of another issuer, or with no issuer, whether or not PUBLIC_BASE_URL is configured', async () => {
    for (const configured of [ISSUER, undefined]) {
      await withEnvironment({ PUBLIC_BASE_URL: configured }, async () => {
        expect(await refusal(await signedWithActiveKey({ iss: 'https://evil.example' }))).toBe('Access token was issued by another issuer');
        // The same API reached under another name (or through the stage-less custom domain) is another issuer too.
        expect(await refusal(await signedWithActiveKey({ iss: `${ISSUER}/prod` }))).toBe('Access token was issued by another issuer');
        expect(await refusal(await signedWithActiveKey({ iss: undefined }))).toBe('Access token has no issuer');
      });
    }
  });

  it('a token issued in the future beyond the clock tolerance (a day, or a minute)', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ahead of [24 * 3600, 60, CLOCK_TOLERANCE_SECONDS + 5]) {
      const jwt = await signedWithActiveKey({ iat: now + ahead, exp: now + ahead + 3600 });
      expect({ ahead, message: await refusal(jwt) }).toEqual({ ahead, message: 'Access token was issued in the future' });
    }
    // Within the tolerance a clock running ahead is no reason to refuse.
    await expect(verifyAccessToken(await signedWithActiveKey({ iat: now + 10, exp: now + 3610 }), ISSUER)).resolves.toMatchObject({ iat: now + 10 });
  });

  it('a token older than the access-token lifetime, whatever its exp says', async () => {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = config().accessTokenTtlSeconds;
    const tooOld = await signedWithActiveKey({ iat: now - lifetime - CLOCK_TOLERANCE_SECONDS - 5, exp: now + 24 * 3600 });
    expect(await refusal(tooOld)).toBe('Access token has expired');
    const nearlyTooOld = await signedWithActiveKey({ iat: now - lifetime + 5, exp: now + 24 * 3600 });
    await expect(verifyAccessToken(nearlyTooOld, ISSUER)).resolves.toMatchObject({ iat: now - lifetime + 5 });
  });

  it('a token for another audience', async () => {
    expect(await refusal(await signedWithActiveKey({ aud: 'pairing-service:prod' }))).toBe('Access token is not meant for this service');
  });

  it('a token whose signature does not verify', async () => {
    const { accessToken } = await issueAccessToken(admin(), ['application:read'], ISSUER);
    const [header, payload, signature] = accessToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tenant: 'other' })).toString('base64url');
    expect(await refusal(`${header}.${forged}.${signature}`)).toBe('Access token signature is invalid');
  });

  it('a token signed by a key that is not ours', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ tenant: 't', client_kind: 'ADMIN', scope: 'application:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'someone-elses-key', typ: 'at+jwt' })
      .setIssuer('x').setSubject(randomUUID()).setAudience(accessTokenAudience()).setIssuedAt().setExpirationTime('1h').setJti('j')
      .sign(privateKey);
    expect(await refusal(jwt)).toBe('Access token was signed with an unknown key');
  });

  it('an unsigned token', async () => {
    const jwt = new UnsecuredJWT({ tenant: 't', client_kind: 'ADMIN', scope: 'x', sub: 's' }).setAudience(accessTokenAudience()).encode();
    expect(await refusal(jwt)).toMatch(/algorithm|kid/);
  });

  it('a JWT that is not an access token', async () => {
    expect(await refusal(await signedWithActiveKey({}, { typ: 'JWT' }))).toBe('Token is not an access token');
  });

  it('a token without a tenant, or an application token without app_id', async () => {
    expect(await refusal(await signedWithActiveKey({ tenant: undefined }))).toBe('Access token has no tenant');
    expect(await refusal(await signedWithActiveKey({ client_kind: 'APPLICATION' }))).toBe('Access token of an application has no app_id');
  });

  it('garbage', async () => {
    expect(await refusal('not-a-jwt')).toBe('Access token is malformed');
  });
});
