// Access-token signing (KMS, moto) and verification against the published public keys: rotation, and every way a token is refused.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, generateKeyPair, jwtVerify, createLocalJWKSet, SignJWT, UnsecuredJWT } from 'jose';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { SecretStore } from '../../../shared/aws/secrets';
import { config, resetConfig } from '../../../shared/config';
import { UnauthenticatedError } from '../../../shared/errors';
import { accessTokenAudience, CLOCK_TOLERANCE_SECONDS, issueAccessToken, signJwsWithKms, verifyAccessToken } from '../../../shared/oauth/access-tokens';
import { awsError, injectFailure } from '../pairing/aws-failures';
import type { SystemAuth } from '../../../shared/system-auths/types';
import { withEnvironment } from '../../support/environment';
import { freshTenant } from '../../support/local-aws';
import { signingKeys, aws, accessTokenSigner, kms, secrets, signingKeyLifecycle, kmsAdmin } from '../../../functions/container';
import { SigningKeys } from '../../../shared/oauth/signing-keys';
import { SigningKeyLifecycle } from '../../../shared/oauth/signing-key-lifecycle';

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
  const error = await verifyAccessToken(signingKeys, jwt, ISSUER, config()).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return (error as Error).message;
}

/** A token signed (by KMS) with the real active key, with claims chosen by the test. */
async function signedWithActiveKey(claims: Record<string, unknown>, header: Record<string, string> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ISSUER, sub: randomUUID(), aud: accessTokenAudience(config().stage), iat: now, exp: now + 60, jti: randomUUID(),
    tenant: 't', client_kind: 'ADMIN', scope: 'application:read',
    ...claims,
  };
  return signJwsWithKms(kms, await signingKeys.active(), JSON.parse(JSON.stringify(payload)), { typ: 'at+jwt', ...header });
}

/** Runs the test under a Secrets Manager prefix of its own, so it starts with no signing keys. */
async function withOwnPrefix(run: (prefix: string) => Promise<void>, environment: Record<string, string> = {}): Promise<void> {
  const prefix = `pairing-service/test-keys-${randomUUID()}`;
  await withEnvironment({ SECRETS_PREFIX: prefix, ...environment }, async () => {
    resetConfig();
    signingKeys.forget();
    try {
      await run(prefix);
    } finally {
      await Promise.all([secrets.delete('token-signing-keys'), secrets.delete('token-signing-public-keys')]);
      signingKeys.forget();
    }
  });
  resetConfig();
}

interface StoredSet {
  activeKid?: string;
  keys: Array<{ kid: string; alg: string; keyArn?: string; publicJwk: Record<string, unknown>; createdAt?: string; retiredAt?: string }>;
}
/** The secret (below the current prefix) as stored. */
const storedIn = async (name: string) => JSON.parse((await secrets.read(name, 0))!) as StoredSet;
/** The signing keys as another process (container) holds them: its own secret cache and key set. */
function anotherProcess() {
  const ownSecrets = new SecretStore(aws, config);
  const keys = new SigningKeys(ownSecrets, config);
  return { keys, lifecycle: new SigningKeyLifecycle(keys, ownSecrets, kmsAdmin) };
}
const keyState = async (keyArn: string) => (await aws.kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!;

describe('signing keys in KMS', () => {
  it('the key set names a SIGN_VERIFY ECC_NIST_P256 KMS key and holds public JWKs only; tokens verify with the JWKS', async () => {
    await withOwnPrefix(async () => {
      await signingKeyLifecycle.ensure();
      const stored = await storedIn('token-signing-public-keys');
      expect(stored.keys).toHaveLength(1);
      const [key] = stored.keys;
      expect(key).toMatchObject({ kid: stored.activeKid, alg: 'ES256', keyArn: expect.stringMatching(/^arn:aws:kms:/), publicJwk: { kty: 'EC', crv: 'P-256' } });
      expect(Object.keys(key!.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
      expect(await keyState(key!.keyArn!)).toMatchObject({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'ECC_NIST_P256', KeyState: 'Enabled' });
      expect(await secrets.read('token-signing-keys', 0)).toBeUndefined();

      const client = admin();
      const { accessToken } = await issueAccessToken(accessTokenSigner, client, ['application:read'], ISSUER, config());
      expect(decodeProtectedHeader(accessToken)).toEqual({ alg: 'ES256', kid: stored.activeKid, typ: 'at+jwt' });
      // jose alone, with nothing but the published JWKS: the signature is the 64-byte r || s of ES256.
      expect(Buffer.from(accessToken.split('.')[2]!, 'base64url')).toHaveLength(64);
      const { payload } = await jwtVerify(accessToken, createLocalJWKSet(await signingKeys.publicJwks()), { algorithms: ['ES256'], typ: 'at+jwt' });
      expect(Object.keys(payload)).toEqual(['scope', 'tenant', 'client_kind', 'iss', 'sub', 'aud', 'iat', 'exp', 'jti']);
      await expect(verifyAccessToken(signingKeys, accessToken, ISSUER, config())).resolves.toMatchObject({ sub: client.id, tenant: client.tenant });
    });
  });

  it('creates one key set when several processes race to create the first one', async () => {
    await withOwnPrefix(async () => {
      const processes = Array.from({ length: 4 }, anotherProcess);
      await Promise.all(processes.map((p) => p.lifecycle.ensure()));
      const stored = await storedIn('token-signing-public-keys');
      expect(stored.keys.map((key) => key.kid)).toEqual([stored.activeKid]);
      const actives = await Promise.all(processes.map(async (p) => (await p.keys.active()).kid));
      expect(new Set(actives)).toEqual(new Set([stored.activeKid]));
      expect(await keyState(stored.keys[0]!.keyArn!)).toMatchObject({ KeyState: 'Enabled' });
    });
  });

  it('migrates a stage from before KMS: the KMS key signs, the old public key verifies its tokens until it drops out, the private secret is deleted', async () => {
    await withOwnPrefix(async () => {
      // What such a stage holds: the private JWK in token-signing-keys and its public copy.
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const { exportJWK, calculateJwkThumbprint } = await import('jose');
      const publicJwk = await exportJWK(publicKey);
      const oldKid = await calculateJwkThumbprint(publicJwk);
      const privateSet = { activeKid: oldKid, keys: [{ kid: oldKid, alg: 'ES256', privateJwk: await exportJWK(privateKey), publicJwk, createdAt: new Date().toISOString() }] };
      await secrets.create('token-signing-keys', JSON.stringify(privateSet));
      await secrets.create('token-signing-public-keys', JSON.stringify({ keys: [{ kid: oldKid, alg: 'ES256', publicJwk }] }));
      const client = admin();
      const now = Math.floor(Date.now() / 1000);
      const oldToken = await new SignJWT({ scope: 'application:read', tenant: client.tenant, client_kind: 'ADMIN' })
        .setProtectedHeader({ alg: 'ES256', kid: oldKid, typ: 'at+jwt' })
        .setIssuer(ISSUER).setSubject(client.id).setAudience(accessTokenAudience(config().stage)).setIssuedAt(now).setExpirationTime(now + 600).setJti(randomUUID())
        .sign(privateKey);

      await signingKeyLifecycle.ensure();

      expect(await secrets.read('token-signing-keys', 0)).toBeUndefined();
      const stored = await storedIn('token-signing-public-keys');
      expect(stored.activeKid).not.toBe(oldKid);
      expect(stored.keys.map((key) => key.kid)).toEqual([oldKid, stored.activeKid]);
      expect(stored.keys[0]).toEqual({ kid: oldKid, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, retiredAt: expect.any(String) });
      expect(JSON.stringify(stored)).not.toContain('"d"');
      await expect(verifyAccessToken(signingKeys, oldToken, ISSUER, config())).resolves.toMatchObject({ sub: client.id });
      expect(decodeProtectedHeader((await issueAccessToken(accessTokenSigner, client, ['application:read'], ISSUER, config())).accessToken).kid).toBe(stored.activeKid);
      expect((await signingKeys.publicJwks()).keys.map((key) => key.kid)).toEqual([oldKid, stored.activeKid]);
      // A second run changes nothing.
      await signingKeyLifecycle.ensure();
      expect(await storedIn('token-signing-public-keys')).toEqual(stored);
      // Once the retention has passed, the old key is gone from the JWKS and refused.
      const realNow = Date.now;
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + signingKeys.retentionMs() + 1000);
      try {
        expect((await signingKeys.publicJwks()).keys.map((key) => key.kid)).toEqual([stored.activeKid]);
        expect(await refusal(oldToken)).toBe('Access token was signed with an unknown key');
      } finally {
        jest.restoreAllMocks();
      }
    });
  });

  it('rotation: old tokens verify until their key drops out, new tokens carry the new kid, the JWKS lists both, then drops the old key and its KMS key is scheduled for deletion', async () => {
    // Short lifetimes, so that the window is 1 + 2 + 30 s (cache + TTL + clock tolerance); the clock is moved past it.
    await withOwnPrefix(async () => {
      await signingKeyLifecycle.ensure();
      const first = await storedIn('token-signing-public-keys');
      const firstKid = first.activeKid!;
      const client = admin();
      const before = (await issueAccessToken(accessTokenSigner, client, ['application:read'], ISSUER, config())).accessToken;
      const verifier = anotherProcess().keys;
      await expect(verifyAccessToken(verifier, before, ISSUER, config())).resolves.toMatchObject({ sub: client.id });

      const rotated = await signingKeyLifecycle.rotate();
      expect(rotated).toMatchObject({ retiredKid: firstKid, droppedKeys: [], publishedKids: [firstKid, rotated.activeKid] });
      expect(signingKeys.retentionMs()).toBe((1 + 2 + CLOCK_TOLERANCE_SECONDS) * 1000);
      const second = await storedIn('token-signing-public-keys');
      expect(second.activeKid).toBe(rotated.activeKid);
      expect(second.keys.map((key) => [key.kid, key.retiredAt !== undefined])).toEqual([[firstKid, true], [rotated.activeKid, false]]);
      // The new KMS key got the old one's key policy.
      const { GetKeyPolicyCommand } = await import('@aws-sdk/client-kms');
      const policyOf = async (keyArn: string) => (await aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy;
      expect(await policyOf(rotated.keyArn)).toBe(await policyOf(first.keys[0]!.keyArn!));

      const after = (await issueAccessToken(accessTokenSigner, client, ['application:read'], ISSUER, config())).accessToken;
      expect(decodeProtectedHeader(after).kid).toBe(rotated.activeKid);
      expect((await signingKeys.publicJwks()).keys.map((key) => key.kid)).toEqual([firstKid, rotated.activeKid]);
      await expect(verifyAccessToken(signingKeys, before, ISSUER, config())).resolves.toMatchObject({ sub: client.id });
      await expect(verifyAccessToken(signingKeys, after, ISSUER, config())).resolves.toMatchObject({ sub: client.id });

      const realNow = Date.now;
      // A verifier in another process with the set from before the rotation finds the new kid (re-read after 5 s).
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 6000);
      try {
        await expect(verifyAccessToken(verifier, after, ISSUER, config())).resolves.toMatchObject({ sub: client.id });
      } finally {
        jest.restoreAllMocks();
      }
      const pastWindow = realNow() + signingKeys.retentionMs() + 1000;
      jest.spyOn(Date, 'now').mockImplementation(() => pastWindow);
      try {
        signingKeys.forget();
        expect((await signingKeys.publicJwks()).keys.map((key) => key.kid)).toEqual([rotated.activeKid]);
        // Refused for its key (before its exp would even be looked at), in both processes.
        expect(await refusal(before)).toBe('Access token was signed with an unknown key');
        await expect(verifyAccessToken(verifier, before, ISSUER, config())).rejects.toThrow('Access token was signed with an unknown key');
        // The next rotation removes it from the set and schedules its KMS key for deletion.
        const third = await signingKeyLifecycle.rotate();
        expect(third.droppedKeys).toEqual([{ kid: firstKid, keyArn: first.keys[0]!.keyArn, deletionDate: expect.any(String) }]);
        expect(third.publishedKids).toEqual([rotated.activeKid, third.activeKid]);
      } finally {
        jest.restoreAllMocks();
      }
      expect(await keyState(first.keys[0]!.keyArn!)).toMatchObject({ KeyState: 'PendingDeletion' });
      expect((await storedIn('token-signing-public-keys')).keys.map((key) => key.kid)).toEqual([rotated.activeKid, expect.any(String)]);
    }, { ACCESS_TOKEN_TTL_SECONDS: '2', SECRET_CACHE_SECONDS: '1' });
  });

  it('a rotation whose write fails keeps the old key signing and schedules the new KMS key for deletion', async () => {
    await withOwnPrefix(async (prefix) => {
      await signingKeyLifecycle.ensure();
      const before = await storedIn('token-signing-public-keys');
      const failure = injectFailure(
        aws.secretsManager,
        { command: 'PutSecretValueCommand', moment: 'before-sending', when: (input) => input.SecretId === `${prefix}/token-signing-public-keys` },
        awsError('ServiceUnavailable'),
      );
      // Records the keys the rotation schedules for deletion.
      const scheduled: string[] = [];
      aws.kms.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'ScheduleKeyDeletionCommand') scheduled.push((args.input as { KeyId: string }).KeyId);
          return next(args);
        },
        { step: 'initialize', name: 'recordScheduledDeletions' },
      );
      try {
        await expect(signingKeyLifecycle.rotate()).rejects.toThrow(/ServiceUnavailable/);
      } finally {
        failure.remove();
        aws.kms.middlewareStack.remove('recordScheduledDeletions');
      }
      expect(await storedIn('token-signing-public-keys')).toEqual(before);
      expect(scheduled).toHaveLength(1);
      expect(scheduled[0]).not.toBe(before.keys[0]!.keyArn);
      expect(await keyState(scheduled[0]!)).toMatchObject({ KeyState: 'PendingDeletion' });
      expect(decodeProtectedHeader((await issueAccessToken(accessTokenSigner, admin(), ['application:read'], ISSUER, config())).accessToken).kid).toBe(before.activeKid);
    });
  });

  it('refuses to sign when the key set is missing, without creating anything', async () => {
    await withOwnPrefix(async () => {
      await expect(issueAccessToken(accessTokenSigner, admin(), ['application:read'], ISSUER, config())).rejects.toThrow(/not set up/);
      expect(await secrets.read('token-signing-public-keys', 0)).toBeUndefined();
    });
  });

  it('the configured lifetimes set the retention window', () => {
    expect(signingKeys.retentionMs()).toBe((config().secretCacheSeconds + config().accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000);
  });
});

describe('verifyAccessToken refuses', () => {
  it('an expired token', async () => {
    const issued = await issueAccessToken(accessTokenSigner, admin(), ['application:read'], ISSUER, config(), -120);
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
    await expect(verifyAccessToken(signingKeys, await signedWithActiveKey({ iat: now + 10, exp: now + 3610 }), ISSUER, config())).resolves.toMatchObject({ iat: now + 10 });
  });

  it('a token older than the access-token lifetime, whatever its exp says', async () => {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = config().accessTokenTtlSeconds;
    const tooOld = await signedWithActiveKey({ iat: now - lifetime - CLOCK_TOLERANCE_SECONDS - 5, exp: now + 24 * 3600 });
    expect(await refusal(tooOld)).toBe('Access token has expired');
    const nearlyTooOld = await signedWithActiveKey({ iat: now - lifetime + 5, exp: now + 24 * 3600 });
    await expect(verifyAccessToken(signingKeys, nearlyTooOld, ISSUER, config())).resolves.toMatchObject({ iat: now - lifetime + 5 });
  });

  it('a token for another audience', async () => {
    expect(await refusal(await signedWithActiveKey({ aud: 'pairing-service:prod' }))).toBe('Access token is not meant for this service');
  });

  it('a token whose signature does not verify', async () => {
    const { accessToken } = await issueAccessToken(accessTokenSigner, admin(), ['application:read'], ISSUER, config());
    const [header, payload, signature] = accessToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tenant: 'other' })).toString('base64url');
    expect(await refusal(`${header}.${forged}.${signature}`)).toBe('Access token signature is invalid');
  });

  it('a token signed by a key that is not ours', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ tenant: 't', client_kind: 'ADMIN', scope: 'application:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'someone-elses-key', typ: 'at+jwt' })
      .setIssuer('x').setSubject(randomUUID()).setAudience(accessTokenAudience(config().stage)).setIssuedAt().setExpirationTime('1h').setJti('j')
      .sign(privateKey);
    expect(await refusal(jwt)).toBe('Access token was signed with an unknown key');
  });

  it('an unsigned token', async () => {
    const jwt = new UnsecuredJWT({ tenant: 't', client_kind: 'ADMIN', scope: 'x', sub: 's' }).setAudience(accessTokenAudience(config().stage)).encode();
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
