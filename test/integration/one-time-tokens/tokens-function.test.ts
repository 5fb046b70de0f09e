// The `tokens` function in-process, and the CLIENT_CERTIFICATE adapter around it: hash-only storage, validated input, nothing left behind on failure.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handler as tokensHandler } from '../../../functions/tokens/handler';
import { config, resetConfig } from '../../../shared/config';
import { BadUserInputError, ConflictError, InternalError, NotFoundError } from '../../../shared/errors';
import { LambdaTokenIssuer } from '../../../shared/one-time-tokens/issuer';
import { hashOneTimeToken } from '../../../shared/one-time-tokens/token';
import { ClientCertificateAdapter } from '../../../shared/pairing/client-certificate';
import type { SystemAuth } from '../../../shared/system-auths/types';
import { freePort } from '../../../local/processes';
import { freshTenant, scanAll } from '../../support/local-aws';
import { PUBLIC_BASE_URL, adapter, pendingPairing } from '../connector/pairing-fixture';
import { certificateAuths, certificates, oneTimeTokens, systemAuths } from '../../support/stores';
import { aws } from '../../../functions/container';

async function pendingCertificateAuth(overrides: Partial<SystemAuth> = {}): Promise<SystemAuth> {
  const auth: SystemAuth = {
    id: randomUUID(),
    tenant: freshTenant(),
    kind: 'APPLICATION',
    type: 'CLIENT_CERTIFICATE',
    appId: randomUUID(),
    status: 'PENDING',
    scopes: ['application:read'],
    createdAt: new Date().toISOString(),
    ...overrides,
  };
  await systemAuths.create(auth);
  return auth;
}

const requestFor = (auth: SystemAuth) => ({ tenant: auth.tenant, appId: auth.appId!, systemAuthId: auth.id });

describe('the tokens function', () => {
  test('returns exactly token and expiresAt, and stores only the hash of a CONFIGURATION token, linked to the SystemAuth', async () => {
    const auth = await pendingCertificateAuth();
    const before = Date.now();
    const issued = await tokensHandler(requestFor(auth));

    expect(Object.keys(issued).sort()).toEqual(['expiresAt', 'token']);
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresAt = Date.parse(issued.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 300_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 301_000);

    const stored = await oneTimeTokens.find(hashOneTimeToken(issued.token));
    expect(stored).toEqual({
      tokenHash: hashOneTimeToken(issued.token),
      tenant: auth.tenant,
      appId: auth.appId,
      systemAuthId: auth.id,
      purpose: 'CONFIGURATION',
      expiresAt: expiresAt / 1000,
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(stored)).not.toContain(issued.token);
    expect(await certificateAuths.oneTimeTokenHashesOf(auth.id)).toEqual([hashOneTimeToken(issued.token)]);
  });

  test('issues one CONFIGURATION token per SystemAuth, however often it is invoked: a second is CONFLICT and writes nothing', async () => {
    const auth = await pendingCertificateAuth();
    const first = await tokensHandler(requestFor(auth));
    const again = await Promise.allSettled([tokensHandler(requestFor(auth)), tokensHandler(requestFor(auth)), tokensHandler(requestFor(auth))]);
    for (const result of again) {
      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(ConflictError) });
      expect((result as PromiseRejectedResult).reason.message).toMatch(/already has its one-time token/);
    }
    expect(await certificateAuths.oneTimeTokenHashesOf(auth.id)).toEqual([hashOneTimeToken(first.token)]);
    const stored = (await scanAll(config().tokensTable)) as Array<{ systemAuthId?: string }>;
    expect(stored.filter((item) => item.systemAuthId === auth.id)).toHaveLength(1);
  });

  test('issues one CONFIGURATION token to concurrent invocations for a new SystemAuth', async () => {
    const auth = await pendingCertificateAuth();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => tokensHandler(requestFor(auth))));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(await certificateAuths.oneTimeTokenHashesOf(auth.id)).toHaveLength(1);
  });

  test('refuses ill-formed requests naming the field', async () => {
    const auth = await pendingCertificateAuth();
    // What the function works out itself it never takes from its caller: a purpose (it issues CONFIGURATION
    // tokens only; CSR tokens come from the Connector's configuration) or a URL (it builds none).
    await expect(tokensHandler({ ...requestFor(auth), purpose: 'CSR' })).rejects.toThrow(/unknown field "purpose"/);
    await expect(tokensHandler({ ...requestFor(auth), publicBaseUrl: 'https://evil.example' })).rejects.toThrow(/unknown field "publicBaseUrl"/);
    await expect(tokensHandler({ ...requestFor(auth), extra: 1 })).rejects.toThrow(/unknown field "extra"/);
    const { tenant: _omitted, ...withoutTenant } = requestFor(auth);
    await expect(tokensHandler(withoutTenant)).rejects.toBeInstanceOf(BadUserInputError);
    await expect(tokensHandler('nonsense')).rejects.toBeInstanceOf(BadUserInputError);
    expect(await certificateAuths.oneTimeTokenHashesOf(auth.id)).toEqual([]);
  });

  test('issues no token for a missing, foreign, OAuth, revoked or ACTIVE SystemAuth (an ACTIVE one holds a certificate and renews over mTLS)', async () => {
    const auth = await pendingCertificateAuth();
    await expect(tokensHandler({ ...requestFor(auth), systemAuthId: randomUUID() })).rejects.toBeInstanceOf(NotFoundError);
    await expect(tokensHandler({ ...requestFor(auth), tenant: freshTenant() })).rejects.toBeInstanceOf(NotFoundError);
    await expect(tokensHandler({ ...requestFor(auth), appId: randomUUID() })).rejects.toBeInstanceOf(NotFoundError);
    const oauth = await pendingCertificateAuth({ type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'ACTIVE' });
    await expect(tokensHandler(requestFor(oauth))).rejects.toBeInstanceOf(NotFoundError);
    const revoked = await pendingCertificateAuth({ status: 'REVOKED' });
    await expect(tokensHandler(requestFor(revoked))).rejects.toBeInstanceOf(NotFoundError);
    const active = await pendingCertificateAuth({ status: 'ACTIVE' });
    await expect(tokensHandler(requestFor(active))).rejects.toBeInstanceOf(NotFoundError);
    expect(await certificateAuths.oneTimeTokenHashesOf(active.id)).toEqual([]);
    expect(await certificateAuths.oneTimeTokenHashesOf(auth.id)).toEqual([]);
  });
});

describe('the CLIENT_CERTIFICATE adapter', () => {
  test('creates a PENDING SystemAuth and answers exactly {token, connectorURL, expiresAt, rawEncoded}', async () => {
    const pairing = await pendingPairing();
    expect(Object.keys(pairing.params).sort()).toEqual(['connectorURL', 'expiresAt', 'rawEncoded', 'token']);
    expect(pairing.params.connectorURL).toBe(`${PUBLIC_BASE_URL}/connector/graphql`);
    expect(pairing.expiresAt).toBe(pairing.params.expiresAt);
    expect(JSON.parse(Buffer.from(String(pairing.params.rawEncoded), 'base64').toString('utf8'))).toEqual({
      token: pairing.params.token,
      connectorURL: pairing.params.connectorURL,
      expiresAt: pairing.params.expiresAt,
    });
    expect(await systemAuths.get(pairing.systemAuthId)).toMatchObject({
      tenant: pairing.tenant,
      appId: pairing.appId,
      kind: 'APPLICATION',
      type: 'CLIENT_CERTIFICATE',
      status: 'PENDING',
    });
  });

  test('requestOneTimeToken answers in Compass shape with a stored CONFIGURATION token', async () => {
    const application = { tenant: freshTenant(), id: randomUUID(), name: 'compass-shape' };
    const token = await adapter.requestOneTimeToken(application, { publicBaseUrl: PUBLIC_BASE_URL });
    expect(token).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      connectorURL: `${PUBLIC_BASE_URL}/connector/graphql`,
      used: false,
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
      rawEncoded: expect.any(String),
      // Not in the GraphQL type: the SystemAuth it pairs, for the audit trail.
      systemAuthID: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(Date.parse(token.expiresAt) - Date.parse(token.createdAt)).toBeGreaterThan(299_000);
    const stored = await oneTimeTokens.find(hashOneTimeToken(token.token));
    expect(stored).toMatchObject({ tenant: application.tenant, appId: application.id, purpose: 'CONFIGURATION', systemAuthId: token.systemAuthID });
  });

  describe('when the tokens function cannot be reached', () => {
    const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;
    beforeAll(async () => {
      // A port nobody listens on: the real SDK call fails the way an unreachable function does.
      process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${await freePort()}`;
      aws.reset();
      resetConfig();
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
      else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
      aws.reset();
    });

    test('is an INTERNAL error and leaves no SystemAuth behind', async () => {
      const application = { tenant: freshTenant(), id: randomUUID(), name: 'unreachable' };
      const adapter = new ClientCertificateAdapter(new LambdaTokenIssuer(aws.lambda, config().tokensFunctionName), systemAuths, certificateAuths, certificates, oneTimeTokens);
      await expect(adapter.generate(application, {}, { publicBaseUrl: PUBLIC_BASE_URL })).rejects.toBeInstanceOf(InternalError);
      expect(await systemAuths.listOfApplication(application.tenant, application.id)).toEqual([]);
    });
  });

  describe('when Lambda throttles the tokens function (its reserved concurrency is in use)', () => {
    const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;
    // Answers every invoke as the Lambda API does when a function's concurrency is used up: 429, TooManyRequestsException.
    const throttlingLambda = http.createServer((request, response) => {
      request.resume();
      response.writeHead(429, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'TooManyRequestsException' });
      response.end(JSON.stringify({ Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', Type: 'User', message: 'Rate Exceeded.' }));
    });
    beforeAll(async () => {
      await new Promise<void>((resolve) => throttlingLambda.listen(0, '127.0.0.1', resolve));
      process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(throttlingLambda.address() as AddressInfo).port}`;
      aws.reset();
      resetConfig();
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
      else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
      aws.reset();
      await new Promise((resolve) => throttlingLambda.close(resolve));
    });

    test('is an INTERNAL error that says to try again, and leaves no SystemAuth behind', async () => {
      const application = { tenant: freshTenant(), id: randomUUID(), name: 'throttled' };
      const adapter = new ClientCertificateAdapter(new LambdaTokenIssuer(aws.lambda, config().tokensFunctionName), systemAuths, certificateAuths, certificates, oneTimeTokens);
      const failure = adapter.generate(application, {}, { publicBaseUrl: PUBLIC_BASE_URL });
      await expect(failure).rejects.toBeInstanceOf(InternalError);
      await expect(failure).rejects.toThrow('One-time token issuance is at its concurrency limit: nothing was created, try again in a few seconds');
      expect(await systemAuths.listOfApplication(application.tenant, application.id)).toEqual([]);
    });
  });
});
