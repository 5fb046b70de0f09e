// OAuth client rules that need no storage: input validation before anything is written, and the secret comparison.
import { BadUserInputError } from '../../../shared/errors';
import { OAuthClients, secretsMatch, type ClientSecretStore } from '../../../shared/oauth/clients';
import type { SystemAuthRepository } from '../../../shared/system-auths/repository';

/** Stores that record every call: these rules must decide before any of them is made. */
const secrets = { create: jest.fn(), delete: jest.fn(), read: jest.fn() } satisfies ClientSecretStore;
const systemAuths = { create: jest.fn(), delete: jest.fn(), get: jest.fn(), revokeOAuthClient: jest.fn() };
const clients = new OAuthClients(systemAuths as unknown as SystemAuthRepository, secrets);

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

describe('secretsMatch', () => {
  it('matches equal secrets only', () => {
    expect(secretsMatch('abc', 'abc')).toBe(true);
    expect(secretsMatch('abc', 'abd')).toBe(false);
  });

  it('compares secrets of different lengths without throwing (digests have one length)', () => {
    expect(secretsMatch('short', 'a much longer stored secret value')).toBe(false);
    expect(secretsMatch('', 'x')).toBe(false);
  });
});
