// BearerAuthenticator: header parsing, and the checks against the SystemAuth and application behind a verified token (verification and storage are stand-ins).
import type { Application } from '../../../shared/applications/types';
import { AccessTokenRefusedError, BearerAuthenticator } from '../../../shared/auth/bearer';
import { UnauthenticatedError } from '../../../shared/errors';
import type { CertificateCaller, ClientCertificateData } from '../../../shared/auth/client-certificate';
import type { AccessTokenClaims } from '../../../shared/oauth/access-tokens';
import type { SystemAuth } from '../../../shared/system-auths/types';

const verify = jest.fn<Promise<AccessTokenClaims>, [string, string]>();
const lookup = jest.fn<Promise<SystemAuth | undefined>, [string]>();
const applicationLookup = jest.fn<Promise<Application | undefined>, [string, string]>();
const certificateLookup = jest.fn<Promise<CertificateCaller>, [ClientCertificateData]>();
let bearer: BearerAuthenticator;
const authenticateBearer = (authorization: string | undefined, issuer: string) => bearer.authenticate(authorization, issuer);
const application = { tenant: 'acme', id: 'app-1', name: 'app' } as Application;
const ISSUER = 'https://api.example.test';

const adminAuth: SystemAuth = {
  id: 'admin-client',
  tenant: 'acme',
  kind: 'ADMIN',
  type: 'OAUTH2_CLIENT_CREDENTIALS',
  status: 'ACTIVE',
  scopes: ['application:read', 'application:write', 'application.auths:read'],
  createdAt: '2024-01-01T00:00:00.000Z',
};
const appAuth: SystemAuth = { ...adminAuth, id: 'app-client', kind: 'APPLICATION', appId: 'app-1', scopes: ['application:read'] };

const claimsOf = (auth: SystemAuth, scopes = auth.scopes): AccessTokenClaims => ({
  iss: 'https://api.example.test',
  sub: auth.id,
  jti: 'j',
  iat: 1,
  exp: 2,
  tenant: auth.tenant,
  clientKind: auth.kind,
  ...(auth.appId ? { appId: auth.appId } : {}),
  scopes,
});

async function refusal(authorization: string | undefined): Promise<UnauthenticatedError> {
  const error = await authenticateBearer(authorization, ISSUER).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return error as UnauthenticatedError;
}

beforeEach(() => {
  jest.resetAllMocks();
  bearer = new BearerAuthenticator({ get: lookup }, { get: applicationLookup }, verify, { authenticate: certificateLookup });
  applicationLookup.mockResolvedValue(application);
});

describe('BearerAuthenticator', () => {
  it.each([
    ['a missing header', undefined, /missing/],
    ['an empty header', '  ', /missing/],
    ['another scheme', 'Basic YTpi', /not "Bearer <access token>"/],
    ['a bearer without token', 'Bearer ', /not "Bearer <access token>"/],
    ['a token with spaces', 'Bearer a b', /not "Bearer <access token>"/],
  ])('refuses %s before verifying anything', async (_name, header, message) => {
    expect((await refusal(header)).message).toMatch(message);
    expect(verify).not.toHaveBeenCalled();
  });

  it('passes a verification failure through unchanged', async () => {
    verify.mockRejectedValue(new UnauthenticatedError('Access token has expired'));
    expect((await refusal('Bearer x.y.z')).message).toBe('Access token has expired');
  });

  it('makes an ADMIN caller of an active admin client', async () => {
    verify.mockResolvedValue(claimsOf(adminAuth));
    lookup.mockResolvedValue(adminAuth);
    await expect(authenticateBearer('bearer x.y.z', ISSUER)).resolves.toEqual({
      kind: 'ADMIN', tenant: 'acme', clientId: 'admin-client', scopes: adminAuth.scopes,
    });
    // Verified against the issuer the caller names (the API's base URL).
    expect(verify).toHaveBeenCalledWith('x.y.z', ISSUER);
    expect(applicationLookup).not.toHaveBeenCalled();
  });

  it('makes an APPLICATION caller of an active application client', async () => {
    verify.mockResolvedValue(claimsOf(appAuth));
    lookup.mockResolvedValue(appAuth);
    await expect(authenticateBearer('Bearer x.y.z', ISSUER)).resolves.toEqual({
      kind: 'APPLICATION', tenant: 'acme', appId: 'app-1', systemAuthId: 'app-client', scopes: ['application:read'], via: 'OAUTH',
    });
    expect(applicationLookup).toHaveBeenCalledWith('acme', 'app-1');
  });

  it('refuses the token of an active client whose application no longer exists', async () => {
    verify.mockResolvedValue(claimsOf(appAuth));
    lookup.mockResolvedValue(appAuth);
    applicationLookup.mockResolvedValue(undefined);
    expect((await refusal('Bearer x.y.z')).message).toBe('The application of this access token no longer exists');
  });

  it('drops token scopes the client no longer holds', async () => {
    verify.mockResolvedValue(claimsOf(appAuth, ['application:read', 'application:write']));
    lookup.mockResolvedValue(appAuth);
    expect((await authenticateBearer('Bearer x.y.z', ISSUER)).scopes).toEqual(['application:read']);
  });

  it.each([
    ['a deleted client', undefined, /no longer exists/, 'GONE'],
    ['a revoked client', { ...appAuth, status: 'REVOKED' as const }, /not active/, 'NOT_ACTIVE'],
    ['a certificate SystemAuth', { ...appAuth, type: 'CLIENT_CERTIFICATE' as const }, /no longer exists/, 'GONE'],
    ['a client of another tenant', { ...appAuth, tenant: 'other' }, /does not match/, 'MISMATCH'],
    ['a client of another application', { ...appAuth, appId: 'app-2' }, /does not match/, 'MISMATCH'],
    ['a client of another kind', { ...appAuth, kind: 'ADMIN' as const, appId: undefined }, /does not match/, 'MISMATCH'],
  ])('refuses the token of %s, with the code the audit trail counts it by', async (_name, stored, message, code) => {
    verify.mockResolvedValue(claimsOf(appAuth));
    lookup.mockResolvedValue(stored);
    const error = await refusal('Bearer x.y.z');
    expect(error.message).toMatch(message);
    expect(error).toBeInstanceOf(AccessTokenRefusedError);
    expect((error as AccessTokenRefusedError).refusal).toBe(code);
  });

  it('looks the SystemAuth up again once its one-second cache entry is stale', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      verify.mockResolvedValue(claimsOf(appAuth));
      lookup.mockResolvedValueOnce(appAuth).mockResolvedValueOnce({ ...appAuth, status: 'REVOKED' });
      await authenticateBearer('Bearer x.y.z', ISSUER);
      await authenticateBearer('Bearer x.y.z', ISSUER);
      expect(lookup).toHaveBeenCalledTimes(1);
      jest.setSystemTime(1_001_001);
      expect((await refusal('Bearer x.y.z')).message).toMatch(/not active/);
      expect(lookup).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
