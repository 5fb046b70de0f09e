// OAuth client rules that need no storage: input validation before anything is written, and the secret comparison.
import { createOAuthClient, revokeOAuthClient, secretsMatch } from '../../../shared/oauth/clients';
import { BadUserInputError } from '../../../shared/errors';
import { createSecret } from '../../../shared/aws/secrets';
import { deleteSystemAuth } from '../../../shared/system-auths/repository';

jest.mock('../../../shared/aws/secrets', () => ({ ...jest.requireActual('../../../shared/aws/secrets'), createSecret: jest.fn() }));
jest.mock('../../../shared/system-auths/repository', () => ({ deleteSystemAuth: jest.fn() }));

describe('createOAuthClient input', () => {
  it.each([
    ['an empty tenant', { tenant: '', kind: 'ADMIN' as const, scopes: ['a'] }, /tenant/],
    ['a tenant with "#"', { tenant: 'a#b', kind: 'ADMIN' as const, scopes: ['a'] }, /tenant/],
    ['a tenant with "/"', { tenant: 'a/b', kind: 'ADMIN' as const, scopes: ['a'] }, /tenant/],
    ['an application client without appId', { tenant: 'acme', kind: 'APPLICATION' as const, scopes: ['a'] }, /needs an appId/],
    ['an admin client with appId', { tenant: 'acme', kind: 'ADMIN' as const, appId: 'x', scopes: ['a'] }, /has no appId/],
    ['no scopes', { tenant: 'acme', kind: 'ADMIN' as const, scopes: [] }, /at least one scope/],
    ['a scope with a space', { tenant: 'acme', kind: 'ADMIN' as const, scopes: ['a b'] }, /"a b" is not a valid/],
  ])('refuses %s before writing anything', async (_name, input, message) => {
    const error = await createOAuthClient(input).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as Error).message).toMatch(message);
    expect(createSecret).not.toHaveBeenCalled();
  });
});

describe('revokeOAuthClient', () => {
  it('answers false for an id that cannot be a client id, without a storage call', async () => {
    await expect(revokeOAuthClient('../../pairing-ca')).resolves.toBe(false);
    expect(deleteSystemAuth).not.toHaveBeenCalled();
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
