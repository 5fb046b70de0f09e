// OAuth client rules that need no storage: input validation before anything is written, and checking secrets without a Secrets Manager read per attempt.
import crypto, { randomUUID } from 'node:crypto';
import { BadUserInputError } from '../../../shared/errors';
import { OAuthClients, clientAuthenticationState } from '../../../shared/oauth/clients';
import { clientSecretName, type ClientSecretStore } from '../../../shared/oauth/client-secrets';
import { OAuthError } from '../../../shared/oauth/errors';
import { FailedAuthentications, MAX_FAILURE_DELAY_MS, type FailureClock } from '../../../shared/oauth/failed-authentications';
import { SECRET_VERIFIER_TTL_MS, SecretVerifiers } from '../../../shared/oauth/secret-verifiers';
import type { SystemAuthRepository } from '../../../shared/system-auths/repository';
import type { OAuthClientRecords } from '../../../shared/system-auths/oauth-client-records';
import { MAX_LIVE_CLIENT_SECRETS, type SystemAuth } from '../../../shared/system-auths/types';
import { rejection } from '../../support/promises';

/** Stores that record every call: these rules must decide before any of them is made. */
const secrets = { create: jest.fn(), delete: jest.fn(), read: jest.fn(), fullName: (name: string) => `pairing-service/unit/${name}` } satisfies ClientSecretStore;
const systemAuths = { create: jest.fn(), delete: jest.fn(), get: jest.fn(), revoke: jest.fn(), clientSecretIdsOf: jest.fn(async () => []) };
const clients = new OAuthClients(systemAuths as unknown as SystemAuthRepository, systemAuths as unknown as OAuthClientRecords, secrets, clientAuthenticationState());

beforeEach(() => jest.clearAllMocks());

describe('OAuthClients.create input', () => {
  it.each([
    ['an empty tenant', { tenant: '', kind: 'ADMIN' as const, scopes: ['a'] }, /tenant/],
    ['a tenant with "#"', { tenant: 'a#b', kind: 'ADMIN' as const, scopes: ['a'] }, /tenant/],
    ['a tenant with "/"', { tenant: 'a/b', kind: 'ADMIN' as const, scopes: ['a'] }, /tenant/],
    ['an application client without appId', { tenant: 'acme', kind: 'APPLICATION' as const, scopes: ['a'] }, /needs an appId/],
    ['an admin client with appId', { tenant: 'acme', kind: 'ADMIN' as const, appId: 'x', scopes: ['a'] }, /has no appId/],
    ['no scopes', { tenant: 'acme', kind: 'ADMIN' as const, scopes: [] }, /at least one scope/],
    ['a scope with a space', { tenant: 'acme', kind: 'ADMIN' as const, scopes: ['a b'] }, /"a b" is not a valid/],
  ])('refuses %s before writing anything', async (_name, input, message) => {
    const error = await clients.create(input).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as Error).message).toMatch(message);
    expect(secrets.create).not.toHaveBeenCalled();
    expect(systemAuths.create).not.toHaveBeenCalled();
  });
});

describe('OAuthClients.revokeById', () => {
  it('answers false for an id that cannot be a client id, without a storage call', async () => {
    await expect(clients.revokeById('../../pairing-ca')).resolves.toBe(false);
    expect(systemAuths.get).not.toHaveBeenCalled();
    expect(systemAuths.delete).not.toHaveBeenCalled();
    expect(secrets.delete).not.toHaveBeenCalled();
  });
});

/** A clock the test moves by hand; `sleep` records the delay and returns at once (no real time passes). */
function manualClock(): FailureClock & { slept: number[]; advance(ms: number): void } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => void slept.push(ms),
    advance: (ms) => void (now += ms),
  };
}

/** OAuthClients over stand-in stores holding one ACTIVE client, with a clock of the test's own. */
function oneClient() {
  const clock = manualClock();
  const clientId = randomUUID();
  const secret = crypto.randomBytes(32).toString('base64url');
  const auth: SystemAuth = {
    id: clientId, tenant: 'acme', kind: 'APPLICATION', type: 'OAUTH2_CLIENT_CREDENTIALS', appId: randomUUID(),
    status: 'ACTIVE', scopes: ['application:read'], createdAt: new Date().toISOString(),
  };
  const store = { create: jest.fn(), delete: jest.fn(), fullName: (name: string) => name, read: jest.fn(async (name: string) => (name === clientSecretName(clientId) ? secret : undefined)) };
  const auths = {
    create: jest.fn(), delete: jest.fn(), get: jest.fn(async (id: string) => (id === clientId ? auth : undefined)), revoke: jest.fn(),
    clientSecretIdsOf: jest.fn(async () => []),
  };
  const oauth = new OAuthClients(auths as unknown as SystemAuthRepository, auths as unknown as OAuthClientRecords, store, {
    verifiers: new SecretVerifiers(clock.now),
    failures: new FailedAuthentications(clock),
  });
  return { oauth, clock, clientId, secret, auth, store, auths };
}

const invalidClientOf = async (attempt: Promise<unknown>) => {
  const error = await rejection(attempt);
  expect(error).toBeInstanceOf(OAuthError);
  expect(error).toMatchObject({ error: 'invalid_client', description: 'Client authentication failed' });
};

describe('OAuthClients.authenticate: no Secrets Manager read per attempt', () => {
  it('50 wrong secrets after a right one read the secret once, and the right one still works from memory', async () => {
    const { oauth, clientId, secret, store, auths } = oneClient();
    await expect(oauth.authenticate(clientId, secret)).resolves.toMatchObject({ id: clientId });
    for (let i = 0; i < 50; i++) await invalidClientOf(oauth.authenticate(clientId, `${secret}~${i}`));
    await expect(oauth.authenticate(clientId, secret)).resolves.toMatchObject({ id: clientId });
    expect(store.read).toHaveBeenCalledTimes(1);
    // Whether the client may authenticate is still read every time.
    expect(auths.get).toHaveBeenCalledTimes(52);
  });

  it('attempts arriving together share one read', async () => {
    const { oauth, clientId, secret, store } = oneClient();
    const answers = await Promise.allSettled([oauth.authenticate(clientId, secret), ...Array.from({ length: 20 }, () => oauth.authenticate(clientId, 'wrong'))]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', ...Array(20).fill('rejected')]);
    expect(store.read).toHaveBeenCalledTimes(1);
  });

  it('refuses a client revoked elsewhere at once, verifier or not (its SystemAuth is read on every attempt)', async () => {
    const { oauth, clientId, secret, auth, auths } = oneClient();
    await oauth.authenticate(clientId, secret);
    auths.get.mockResolvedValueOnce({ ...auth, status: 'REVOKED' });
    await invalidClientOf(oauth.authenticate(clientId, secret));
    auths.get.mockResolvedValueOnce(undefined);
    await invalidClientOf(oauth.authenticate(clientId, secret));
  });

  it('reads the secret again once the verifier is SECRET_VERIFIER_TTL_MS old, and after revoking the client in this process', async () => {
    const { oauth, clock, clientId, secret, store, auth } = oneClient();
    await oauth.authenticate(clientId, secret);
    clock.advance(SECRET_VERIFIER_TTL_MS - 1);
    await oauth.authenticate(clientId, secret);
    expect(store.read).toHaveBeenCalledTimes(1);
    clock.advance(1);
    await oauth.authenticate(clientId, secret);
    expect(store.read).toHaveBeenCalledTimes(2);

    await oauth.revoke(auth);
    // (The stand-in still says ACTIVE: what is shown is that the verifier went with the revocation.)
    await oauth.authenticate(clientId, secret);
    expect(store.read).toHaveBeenCalledTimes(3);
  });

  it('does not remember a failed read or a missing secret', async () => {
    const { oauth, clientId, secret, store } = oneClient();
    store.read.mockRejectedValueOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(oauth.authenticate(clientId, secret)).rejects.toMatchObject({ name: 'ThrottlingException' });
    store.read.mockResolvedValueOnce(undefined);
    await invalidClientOf(oauth.authenticate(clientId, secret));
    await expect(oauth.authenticate(clientId, secret)).resolves.toMatchObject({ id: clientId });
    expect(store.read).toHaveBeenCalledTimes(3);
  });

  it('holds a verifier that is neither the secret nor contains it, keyed per process, compared in constant time', async () => {
    const { oauth, clientId, secret } = oneClient();
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      await oauth.authenticate(clientId, secret);
      await invalidClientOf(oauth.authenticate(clientId, 'x'));
      await invalidClientOf(oauth.authenticate(clientId, secret.repeat(3)));
      // Every attempt compares with each of MAX_LIVE_CLIENT_SECRETS slots; the slot this client does not use holds one constant stand-in.
      expect(compare).toHaveBeenCalledTimes(3 * MAX_LIVE_CLIENT_SECRETS);
      const held = compare.mock.calls.map(([, verifier]) => Buffer.from(verifier as Uint8Array));
      expect(new Set(held.map((v) => v.toString('hex'))).size).toBe(MAX_LIVE_CLIENT_SECRETS);
      const verifier = held[0];
      expect(verifier).toHaveLength(32);
      for (const [presented] of compare.mock.calls) expect(presented).toHaveLength(32);
      for (const form of [Buffer.from(secret, 'utf8'), Buffer.from(secret, 'base64url')]) {
        expect(verifier.equals(form)).toBe(false);
        expect(verifier.includes(form)).toBe(false);
      }
      for (const encoding of ['utf8', 'hex', 'base64', 'base64url', 'latin1'] as const) expect(verifier.toString(encoding)).not.toContain(secret);
      // Not a plain hash either: without this process's key, a verifier says nothing about the secret.
      expect(verifier.equals(crypto.createHash('sha256').update(secret).digest())).toBe(false);
      compare.mockClear();
      const other = new OAuthClients(
        { get: async () => ({ id: clientId, type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'ACTIVE' }) } as unknown as SystemAuthRepository,
        {} as OAuthClientRecords,
        { create: jest.fn(), delete: jest.fn(), read: async () => secret, fullName: (name: string) => name },
        clientAuthenticationState(),
      );
      await other.authenticate(clientId, secret);
      expect(Buffer.from(compare.mock.calls[0][1] as Uint8Array).equals(verifier)).toBe(false);
    } finally {
      compare.mockRestore();
    }
  });
});

describe('OAuthClients.authenticate: repeated failures are answered later', () => {
  it('answers the first failures at once, then waits 250 ms, 500 ms, 1 s, then at most 2 s, always with invalid_client', async () => {
    const { oauth, clock, clientId } = oneClient();
    for (let i = 0; i < 8; i++) await invalidClientOf(oauth.authenticate(clientId, 'wrong'));
    expect(clock.slept).toEqual([250, 500, 1000, 2000, 2000]);
    expect(Math.max(...clock.slept)).toBe(MAX_FAILURE_DELAY_MS);
  });

  it('never delays a success, counts per client id, and starts over after the window', async () => {
    const { oauth, clock, clientId, secret } = oneClient();
    for (let i = 0; i < 5; i++) await invalidClientOf(oauth.authenticate(clientId, 'wrong'));
    expect(clock.slept).toEqual([250, 500]);
    await expect(oauth.authenticate(clientId, secret)).resolves.toMatchObject({ id: clientId });
    expect(clock.slept).toEqual([250, 500]);

    // Another id (unknown ones too) has failures of its own.
    const unknown = randomUUID();
    for (let i = 0; i < 4; i++) await invalidClientOf(oauth.authenticate(unknown, 'wrong'));
    expect(clock.slept).toEqual([250, 500, 250]);

    clock.advance(60_000);
    await invalidClientOf(oauth.authenticate(clientId, 'wrong'));
    expect(clock.slept).toEqual([250, 500, 250]);
  });

  it('does not track what cannot be a client id', async () => {
    const { oauth, clock } = oneClient();
    for (let i = 0; i < 10; i++) await invalidClientOf(oauth.authenticate('../../pairing-ca', 'x'));
    expect(clock.slept).toEqual([]);
  });
});

describe('OAuthClients.authenticate: two live secrets', () => {
  /** A client rotated once: the initial secret and a second one, each in its own Secrets Manager secret. */
  function rotatedClient() {
    const clientId = randomUUID();
    const secondId = randomUUID();
    const values: Record<string, string> = {
      [clientSecretName(clientId)]: crypto.randomBytes(32).toString('base64url'),
      [clientSecretName(clientId, secondId)]: crypto.randomBytes(32).toString('base64url'),
    };
    const createdAt = new Date().toISOString();
    let auth: SystemAuth = {
      id: clientId, tenant: 'acme', kind: 'APPLICATION', type: 'OAUTH2_CLIENT_CREDENTIALS', appId: randomUUID(),
      status: 'ACTIVE', scopes: ['application:read'], createdAt,
      clientSecrets: [{ id: 'initial', createdAt }, { id: secondId, createdAt }],
    };
    const store = { create: jest.fn(), delete: jest.fn(), fullName: (name: string) => name, read: jest.fn(async (name: string) => values[name]) };
    const auths = { get: jest.fn(async () => auth) };
    const compare = jest.fn((a: Buffer, b: Buffer) => crypto.timingSafeEqual(a, b));
    const oauth = new OAuthClients(auths as unknown as SystemAuthRepository, auths as unknown as OAuthClientRecords, store, {
      verifiers: new SecretVerifiers(Date.now, compare),
      failures: new FailedAuthentications(manualClock()),
    });
    return {
      oauth, compare, clientId, secondId, store,
      initial: values[clientSecretName(clientId)],
      second: values[clientSecretName(clientId, secondId)],
      setAuth: (next: SystemAuth) => void (auth = next),
      auth: () => auth,
    };
  }

  it('accepts either live secret and says which one it was', async () => {
    const { oauth, clientId, secondId, initial, second } = rotatedClient();
    await expect(oauth.authenticate(clientId, initial)).resolves.toMatchObject({ usedSecret: { id: 'initial' } });
    await expect(oauth.authenticate(clientId, second)).resolves.toMatchObject({ usedSecret: { id: secondId } });
  });

  it('makes the same number of comparisons (MAX_LIVE_CLIENT_SECRETS) for one or two live secrets, right or wrong, whichever matched', async () => {
    const rotated = rotatedClient();
    const single = oneClient();
    const counts: number[] = [];
    const count = async (compare: jest.Mock, attempt: Promise<unknown>) => {
      compare.mockClear();
      await attempt.catch(() => undefined);
      counts.push(compare.mock.calls.length);
    };
    await count(rotated.compare, rotated.oauth.authenticate(rotated.clientId, rotated.initial));
    await count(rotated.compare, rotated.oauth.authenticate(rotated.clientId, rotated.second));
    await count(rotated.compare, rotated.oauth.authenticate(rotated.clientId, 'wrong'));
    const compareOne = jest.fn((a: Buffer, b: Buffer) => crypto.timingSafeEqual(a, b));
    const oneSecret = new OAuthClients(single.auths as unknown as SystemAuthRepository, single.auths as unknown as OAuthClientRecords, single.store, {
      verifiers: new SecretVerifiers(Date.now, compareOne),
      failures: new FailedAuthentications(manualClock()),
    });
    await count(compareOne, oneSecret.authenticate(single.clientId, single.secret));
    await count(compareOne, oneSecret.authenticate(single.clientId, 'wrong'));
    expect(counts).toEqual(Array(5).fill(MAX_LIVE_CLIENT_SECRETS));
  });

  it('refuses a secret the SystemAuth no longer lists at once, although this process still holds its verifier', async () => {
    const { oauth, clientId, secondId, initial, second, setAuth, auth } = rotatedClient();
    await oauth.authenticate(clientId, initial);
    await oauth.authenticate(clientId, second);
    // Revoked in another process: only the item read on this attempt says so.
    setAuth({ ...auth(), clientSecrets: auth().clientSecrets!.filter((secret) => secret.id !== 'initial') });
    await invalidClientOf(oauth.authenticate(clientId, initial));
    await expect(oauth.authenticate(clientId, second)).resolves.toMatchObject({ usedSecret: { id: secondId } });
  });

  it('asks the grant to stamp a secret\'s lastUsedAt only when it is over a minute old, and never for a client never rotated', async () => {
    const { oauth, clientId, secondId, second, setAuth, auth } = rotatedClient();
    await expect(oauth.authenticate(clientId, second)).resolves.toMatchObject({ usedSecret: { id: secondId, recordUse: true } });
    const stamped = (lastUsedAt: string) => ({ ...auth(), clientSecrets: auth().clientSecrets!.map((secret) => (secret.id === secondId ? { ...secret, lastUsedAt } : secret)) });
    setAuth(stamped(new Date(Date.now() - 30_000).toISOString()));
    await expect(oauth.authenticate(clientId, second)).resolves.toMatchObject({ usedSecret: { id: secondId, recordUse: false } });
    setAuth(stamped(new Date(Date.now() - 61_000).toISOString()));
    await expect(oauth.authenticate(clientId, second)).resolves.toMatchObject({ usedSecret: { id: secondId, recordUse: true } });

    const single = oneClient();
    await expect(single.oauth.authenticate(single.clientId, single.secret)).resolves.toMatchObject({ usedSecret: { id: 'initial', recordUse: false } });
  });
});
