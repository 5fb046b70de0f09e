// Access-token signing and verification against the signing keys in moto: rotation, and every way a token is refused.
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { clearSecretCache, deleteSecret, readSecret } from '../../../shared/aws/secrets';
import { config, resetConfig } from '../../../shared/config';
import { UnauthenticatedError } from '../../../shared/errors';
import { accessTokenAudience, CLOCK_TOLERANCE_SECONDS, issueAccessToken, verifyAccessToken } from '../../../shared/oauth/access-tokens';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManager } from '../../../shared/aws/clients';
import {
  activeSigningKey,
  ensureSigningKey,
  forgetSigningKeys,
  publicJwks,
  rotateSigningKey,
} from '../../../shared/oauth/signing-keys';
import { awsError, injectFailure } from '../pairing/aws-failures';
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
      // The public set holds the winner's key, never a racing loser's.
      const published = JSON.parse((await readSecret(`${prefix}/token-signing-public-keys`, 0))!);
      expect(published.keys.map((key: { kid: string }) => key.kid)).toEqual([stored.activeKid]);
    } finally {
      await Promise.all([deleteSecret(`${prefix}/token-signing-keys`), deleteSecret(`${prefix}/token-signing-public-keys`)]);
      process.env.SECRETS_PREFIX = saved;
      resetConfig();
    }
  });

  /** Runs the test under a Secrets Manager prefix of its own, so it starts with no signing keys. */
  async function withOwnPrefix(run: (prefix: string) => Promise<void>): Promise<void> {
    const prefix = `pairing-service/test-keys-${randomUUID()}`;
    const saved = process.env.SECRETS_PREFIX;
    process.env.SECRETS_PREFIX = prefix;
    resetConfig();
    forgetSigningKeys();
    try {
      await run(prefix);
    } finally {
      await Promise.all([deleteSecret(`${prefix}/token-signing-keys`), deleteSecret(`${prefix}/token-signing-public-keys`)]);
      process.env.SECRETS_PREFIX = saved;
      resetConfig();
      forgetSigningKeys();
    }
  }

  const storedIn = async (name: string) => JSON.parse((await readSecret(name, 0))!) as { activeKid?: string; keys: Array<Record<string, unknown>> };

  it('ensureSigningKey publishes the public keys alone in token-signing-public-keys, also for keys that predate it', async () => {
    await withOwnPrefix(async (prefix) => {
      // Keys as a stack made before the public set existed holds them.
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const publicJwk = await exportJWK(publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      const stored = { activeKid: kid, keys: [{ kid, alg: 'ES256', privateJwk: await exportJWK(privateKey), publicJwk, createdAt: new Date().toISOString() }] };
      await secretsManager().send(new CreateSecretCommand({ Name: `${prefix}/token-signing-keys`, SecretString: JSON.stringify(stored) }));

      await ensureSigningKey();
      const published = await storedIn(`${prefix}/token-signing-public-keys`);
      expect(published).toEqual({ keys: [{ kid, alg: 'ES256', publicJwk }] });
      expect(JSON.stringify(published)).not.toContain('"d"');
      await ensureSigningKey();
      expect(await storedIn(`${prefix}/token-signing-public-keys`)).toEqual(published);
      expect(await storedIn(`${prefix}/token-signing-keys`)).toEqual(stored);
    });
  });

  it('a rotation writes the public keys first: when the private write fails, verifiers already know the new kid and the old key still signs', async () => {
    await withOwnPrefix(async (prefix) => {
      await ensureSigningKey();
      const client = admin();
      const before = await issueAccessToken(client, ['application:read'], ISSUER);
      const failure = injectFailure(
        secretsManager(),
        { command: 'PutSecretValueCommand', moment: 'before-sending', when: (input) => input.SecretId === `${prefix}/token-signing-keys` },
        awsError('ServiceUnavailable'),
      );
      try {
        await expect(rotateSigningKey()).rejects.toThrow(/ServiceUnavailable/);
      } finally {
        failure.remove();
      }
      const stored = await storedIn(`${prefix}/token-signing-keys`);
      const published = await storedIn(`${prefix}/token-signing-public-keys`);
      expect(stored.keys).toHaveLength(1);
      // One extra public key that signed nothing; the active one is still among them.
      expect(published.keys.map((key) => key.kid)).toEqual([stored.activeKid, expect.any(String)]);
      forgetSigningKeys();
      clearSecretCache();
      expect(decodeProtectedHeader((await issueAccessToken(client, ['application:read'], ISSUER)).accessToken).kid).toBe(stored.activeKid);
      await expect(verifyAccessToken(before.accessToken, ISSUER)).resolves.toMatchObject({ sub: client.id });

      // The next rotation goes through and replaces the public set with the kept keys and the new one.
      const newKid = await rotateSigningKey();
      expect((await storedIn(`${prefix}/token-signing-public-keys`)).keys.map((key) => key.kid)).toEqual([stored.activeKid, newKid]);
    });
  });

  it('a verifier in another process finds a key rotated in after it loaded the public set', async () => {
    await withOwnPrefix(async () => {
      await ensureSigningKey();
      let verifier!: typeof import('../../../shared/oauth/access-tokens');
      jest.isolateModules(() => {
        verifier = require('../../../shared/oauth/access-tokens');
      });
      const client = admin();
      const before = await issueAccessToken(client, ['application:read'], ISSUER);
      await expect(verifier.verifyAccessToken(before.accessToken, ISSUER)).resolves.toMatchObject({ sub: client.id });
      await rotateSigningKey();
      const after = await issueAccessToken(client, ['application:read'], ISSUER);
      // Its cached set lacks the new kid: it re-reads once the set is over UNKNOWN_KID_RELOAD_MS (5 s) old.
      const realNow = Date.now;
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 6000);
      try {
        await expect(verifier.verifyAccessToken(after.accessToken, ISSUER)).resolves.toMatchObject({ sub: client.id });
      } finally {
        jest.restoreAllMocks();
      }
    });
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
