// Token endpoint request parsing, scope handling and RFC 6749 5.2 response shapes, with stand-ins for storage and signing.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { issueAccessToken, TokenConfirmation } from '../../../shared/oauth/access-tokens';
import type { AuthenticatedClient } from '../../../shared/oauth/clients';
import { invalidClient, OAuthError } from '../../../shared/oauth/errors';
import { TokenEndpoint, type IssuedTo } from '../../../shared/oauth/token-endpoint';
import { grantedScopes, parseBasicCredentials, parseScope, parseTokenRequest } from '../../../shared/oauth/token-request';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { CertificateRefusedError, type CertificateCaller, type ClientCertificateData } from '../../../shared/auth/client-certificate';
import type { ClientSecretUse } from '../../../shared/system-auths/repository';
import type { SystemAuth } from '../../../shared/system-auths/types';
import type { AuditEvent } from '../../../shared/audit/types';
import { config } from '../../../shared/config';

const authenticate = jest.fn<Promise<AuthenticatedClient>, [string, string]>();
const revoke = jest.fn<Promise<void>, [Pick<SystemAuth, 'id' | 'tenant'>]>();
const markUsed = jest.fn<Promise<boolean>, [string, Date?, ClientSecretUse?]>();
const markConnected = jest.fn<Promise<boolean>, [string, string]>();
const issue = jest.fn<ReturnType<typeof issueAccessToken>, [IssuedTo, string[], string, TokenConfirmation?]>();
/** The audit trail is pinned by its own tests (and on DynamoDB Local in test/integration/audit): here it keeps nothing. */
const audit = { record: jest.fn(async () => ({}) as AuditEvent), refused: jest.fn(async () => undefined) };
const certificateAuthentication = { authenticate: jest.fn<Promise<CertificateCaller>, [ClientCertificateData]>() };
const certificateRefusals = { record: jest.fn<Promise<void>, [unknown, unknown]>(async () => undefined) };
/** private_key_jwt has tests of its own (client-assertion.test.ts, and over HTTP): here every assertion is refused. */
const assertions = {
  authenticate: jest.fn(async () => { throw invalidClient(); }),
  recordGrant: jest.fn(async () => false),
  revokeOrphaned: jest.fn(async () => undefined),
};
const endpoint = new TokenEndpoint({ authenticate, revoke }, { markUsed }, { markConnected }, issue, audit, config, certificateAuthentication, certificateRefusals, assertions);
const handleTokenRequest = (event: APIGatewayProxyEvent) => endpoint.handle(event);

const CLIENT_ID = '0b6e4c52-6d59-4a43-9d0e-4f0d3a1f8c11';
const client: SystemAuth = {
  id: CLIENT_ID,
  tenant: 'acme',
  kind: 'APPLICATION',
  type: 'OAUTH2_CLIENT_CREDENTIALS',
  appId: 'app-1',
  status: 'ACTIVE',
  scopes: ['application:read', 'application:write'],
  createdAt: '2024-01-01T00:00:00.000Z',
};

const basic = (id: string, secret: string, encode = true) => {
  const pair = encode ? `${encodeURIComponent(id)}:${encodeURIComponent(secret)}` : `${id}:${secret}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
};

function tokenEvent(body: string, headers: Record<string, string> = {}, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    body,
    isBase64Encoded: false,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Host: 'api.example.test', ...headers },
    queryStringParameters: null,
    requestContext: { stage: 'test' },
    ...extra,
  } as unknown as APIGatewayProxyEvent;
}

function oauthErrorOf(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
}

beforeEach(() => {
  jest.resetAllMocks();
  markUsed.mockResolvedValue(true);
  markConnected.mockResolvedValue(true);
  issue.mockImplementation(async (_client, scopes) => ({ accessToken: 'signed.jwt.here', expiresIn: 3600, scopes }));
});

describe('parseBasicCredentials', () => {
  it('form-decodes id and secret inside Basic (RFC 6749 2.3.1)', () => {
    const header = `Basic ${Buffer.from('my+client:s%3Acret%2B+x').toString('base64')}`;
    expect(parseBasicCredentials(header)).toEqual({ clientId: 'my client', clientSecret: 's:cret+ x' });
  });

  it('splits at the first colon only', () => {
    expect(parseBasicCredentials(basic('id', 'a:b:c', false))).toEqual({ clientId: 'id', clientSecret: 'a:b:c' });
  });

  it('accepts the scheme in any case', () => {
    expect(parseBasicCredentials(basic('id', 'x').replace('Basic', 'bAsIc'))).toEqual({ clientId: 'id', clientSecret: 'x' });
  });

  it.each([
    ['another scheme', 'Bearer abc', /Unsupported authentication scheme/],
    ['bad base64', 'Basic !!!notbase64', /not valid Basic credentials/],
    ['no colon', `Basic ${Buffer.from('justanid').toString('base64')}`, /"<client_id>:<client_secret>"/],
    ['an empty secret', basic('id', ''), /both a client id and a client secret/],
    ['a broken percent escape', `Basic ${Buffer.from('id:%E0%A4%A').toString('base64')}`, /not form-urlencoded/],
  ])('refuses %s as invalid_client', (_name, header, description) => {
    const error = oauthErrorOf(() => parseBasicCredentials(header));
    expect(error.error).toBe('invalid_client');
    expect(error.description).toMatch(description);
  });
});

describe('parseTokenRequest', () => {
  it('reads Basic credentials and the requested scopes', () => {
    const request = parseTokenRequest(tokenEvent('grant_type=client_credentials&scope=application%3Aread', { Authorization: basic(CLIENT_ID, 's3cret') }));
    expect(request).toEqual({ credentials: { clientId: CLIENT_ID, clientSecret: 's3cret' }, scopes: ['application:read'] });
  });

  it('reads client_id and client_secret form fields', () => {
    const request = parseTokenRequest(tokenEvent(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=a%2Bb`));
    expect(request.credentials).toEqual({ clientId: CLIENT_ID, clientSecret: 'a+b' });
    expect(request.scopes).toBeUndefined();
  });

  it('accepts a charset parameter on the content type and a base64-encoded body', () => {
    const body = Buffer.from(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=x`).toString('base64');
    const event = tokenEvent(body, { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, { isBase64Encoded: true });
    delete event.headers['Content-Type'];
    expect(parseTokenRequest(event).credentials.clientSecret).toBe('x');
  });

  it('accepts a client_id repeated in the body when it names the Basic client', () => {
    const request = parseTokenRequest(tokenEvent(`grant_type=client_credentials&client_id=${CLIENT_ID}`, { Authorization: basic(CLIENT_ID, 'x') }));
    expect(request.credentials.clientId).toBe(CLIENT_ID);
  });

  it('treats a parameter sent without a value as omitted (RFC 6749 3.1)', () => {
    const request = parseTokenRequest(tokenEvent('grant_type=client_credentials&scope=', { Authorization: basic(CLIENT_ID, 'x') }));
    expect(request.scopes).toBeUndefined();
  });

  it.each([
    ['a JSON body', '{"grant_type":"client_credentials"}', { 'Content-Type': 'application/json' }, 'invalid_request', /Content-Type/],
    ['no content type', 'grant_type=client_credentials', { 'Content-Type': '' }, 'invalid_request', /Content-Type/],
    ['a repeated parameter', 'grant_type=client_credentials&scope=a&scope=b', {}, 'invalid_request', /scope is repeated/],
    ['a missing grant_type', `client_id=${CLIENT_ID}&client_secret=x`, {}, 'invalid_request', /grant_type is missing/],
    ['another grant type', 'grant_type=password&username=u&password=p', {}, 'unsupported_grant_type', /client_credentials/],
    ['Basic plus client_secret', 'grant_type=client_credentials&client_secret=x', { Authorization: basic(CLIENT_ID, 'x') }, 'invalid_request', /one client authentication method/],
    ['a body client_id naming another client', 'grant_type=client_credentials&client_id=other', { Authorization: basic(CLIENT_ID, 'x') }, 'invalid_request', /differs/],
    ['no client authentication', 'grant_type=client_credentials', {}, 'invalid_client', /missing/],
    ['client_id without client_secret', `grant_type=client_credentials&client_id=${CLIENT_ID}`, {}, 'invalid_client', /missing/],
    ['a scope with a forbidden character', 'grant_type=client_credentials&scope=a%22b', { Authorization: basic(CLIENT_ID, 'x') }, 'invalid_scope', /character/],
  ])('refuses %s', (_name, body, headers, code, description) => {
    const error = oauthErrorOf(() => parseTokenRequest(tokenEvent(body, headers)));
    expect(error.error).toBe(code);
    expect(error.description).toMatch(description);
  });

  it('refuses parameters in the query string', () => {
    const event = tokenEvent('grant_type=client_credentials', { Authorization: basic(CLIENT_ID, 'x') }, {
      queryStringParameters: { client_secret: 'x' },
    });
    expect(oauthErrorOf(() => parseTokenRequest(event)).error).toBe('invalid_request');
  });
});

describe('scopes', () => {
  it('parses space-separated scope tokens, ignoring extra spaces and duplicates', () => {
    expect(parseScope('  application:read  application:write application:read ')).toEqual(['application:read', 'application:write']);
  });

  it('grants all of the client scopes by default', () => {
    expect(grantedScopes(undefined, client.scopes)).toEqual(client.scopes);
  });

  it('grants a requested subset', () => {
    expect(grantedScopes(['application:write'], client.scopes)).toEqual(['application:write']);
  });

  it('refuses scopes the client does not hold as invalid_scope, naming them', () => {
    const error = oauthErrorOf(() => grantedScopes(['application:read', 'application.auths:read'], client.scopes));
    expect(error.error).toBe('invalid_scope');
    expect(error.description).toContain('application.auths:read');
    expect(error.description).not.toContain('application:read ');
  });
});

describe('handleTokenRequest responses', () => {
  const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };

  it('answers a grant with the RFC 6749 5.1 JSON and no-store headers, after recording the use', async () => {
    authenticate.mockResolvedValue(client);
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials&scope=application:read', { Authorization: basic(CLIENT_ID, 's3cret') }));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ ...noStore, 'content-type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual({ access_token: 'signed.jwt.here', token_type: 'Bearer', expires_in: 3600, scope: 'application:read' });
    expect(authenticate).toHaveBeenCalledWith(CLIENT_ID, 's3cret');
    expect(markUsed).toHaveBeenCalledWith(CLIENT_ID);
    expect(issue).toHaveBeenCalledWith(client, ['application:read'], 'https://api.example.test');
    expect(markConnected).toHaveBeenCalledWith('acme', 'app-1');
  });

  it('records the grant with the secret it was made with in its one write, and refuses it when that secret was revoked meanwhile', async () => {
    authenticate.mockResolvedValue({ ...client, usedSecret: { id: 'initial', recordUse: true } });
    const event = tokenEvent('grant_type=client_credentials', { Authorization: basic(CLIENT_ID, 's3cret') });
    expect((await handleTokenRequest(event)).statusCode).toBe(200);
    expect(markUsed).toHaveBeenCalledTimes(1);
    expect(markUsed).toHaveBeenCalledWith(CLIENT_ID, expect.any(Date), { id: 'initial', recordUse: true });
    markUsed.mockResolvedValue(false);
    const refused = await handleTokenRequest(event);
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body).error).toBe('invalid_client');
  });

  it('refuses an application client whose application is gone with invalid_client, revokes it, and issues nothing', async () => {
    authenticate.mockResolvedValue(client);
    markConnected.mockResolvedValue(false);
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials', { Authorization: basic(CLIENT_ID, 's3cret') }));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(revoke).toHaveBeenCalledWith(client);
    expect(issue).not.toHaveBeenCalled();
  });

  it('still refuses with invalid_client when revoking the orphaned client fails', async () => {
    authenticate.mockResolvedValue(client);
    markConnected.mockResolvedValue(false);
    revoke.mockRejectedValue(Object.assign(new Error('AWS internals'), { name: 'InternalServerError' }));
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials', { Authorization: basic(CLIENT_ID, 's3cret') }));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(issue).not.toHaveBeenCalled();
  });

  it('answers invalid_client to client_secret_post with 401 and the error JSON, without a challenge', async () => {
    authenticate.mockRejectedValue(invalidClient());
    const response = await handleTokenRequest(tokenEvent(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=wrong`));
    expect(response.statusCode).toBe(401);
    expect(response.headers).toMatchObject(noStore);
    expect(response.headers).not.toHaveProperty('www-authenticate');
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(issue).not.toHaveBeenCalled();
  });

  it('answers invalid_client to HTTP Basic with 401 and a Basic challenge (RFC 6749 5.2: the scheme the client used)', async () => {
    authenticate.mockRejectedValue(invalidClient());
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials', { Authorization: basic(CLIENT_ID, 'wrong') }));
    expect(response.statusCode).toBe(401);
    expect(response.headers).toMatchObject({ ...noStore, 'www-authenticate': 'Basic realm="pairing-service"' });
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
  });

  it('answers missing client authentication with 401 invalid_client and no challenge', async () => {
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials'));
    expect(response.statusCode).toBe(401);
    expect(response.headers).not.toHaveProperty('www-authenticate');
    expect(JSON.parse(response.body).error).toBe('invalid_client');
  });

  it('answers the other errors with 400 and no challenge', async () => {
    const response = await handleTokenRequest(tokenEvent('grant_type=authorization_code&code=x'));
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject(noStore);
    expect(response.headers).not.toHaveProperty('www-authenticate');
    expect(JSON.parse(response.body)).toEqual({ error: 'unsupported_grant_type', error_description: expect.any(String) });
  });

  it('answers invalid_scope when the client asks for more than it holds, and issues nothing', async () => {
    authenticate.mockResolvedValue(client);
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials&scope=application.auths:read', { Authorization: basic(CLIENT_ID, 'x') }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toBe('invalid_scope');
    expect(markUsed).not.toHaveBeenCalled();
    expect(issue).not.toHaveBeenCalled();
  });

  it('refuses a client deleted between authentication and issuance', async () => {
    authenticate.mockResolvedValue(client);
    markUsed.mockResolvedValue(false);
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials', { Authorization: basic(CLIENT_ID, 'x') }));
    expect(response.statusCode).toBe(401);
    expect(issue).not.toHaveBeenCalled();
  });

  it('answers an unexpected failure with a bare server_error', async () => {
    authenticate.mockRejectedValue(new Error('AccessDeniedException: arn:aws:secretsmanager:... secret s3cret'));
    const response = await handleTokenRequest(tokenEvent('grant_type=client_credentials', { Authorization: basic(CLIENT_ID, 's3cret') }));
    expect(response.statusCode).toBe(500);
    expect(response.headers).toMatchObject(noStore);
    expect(JSON.parse(response.body)).toEqual({ error: 'server_error' });
  });
});

describe('tls_client_auth (a request with a client certificate in its context)', () => {
  const SYSTEM_AUTH_ID = '5b1d0c1e-3f7a-4d9e-8a41-0c2b6f9e7d21';
  /** A certificate whose CN names the SystemAuth (the authenticator, a stand-in here, judges everything else). */
  const certificatePem = (() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const certificate = forge.pki.createCertificate();
    certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    certificate.serialNumber = '01';
    certificate.validity.notBefore = new Date();
    certificate.validity.notAfter = new Date(Date.now() + 3600_000);
    certificate.setSubject([{ name: 'commonName', value: SYSTEM_AUTH_ID }]);
    certificate.setIssuer([{ name: 'commonName', value: 'test CA' }]);
    certificate.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(certificate);
  })();
  const fingerprint = createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
  const mtlsEvent = (body: string) =>
    tokenEvent(body, {}, { requestContext: { stage: 'test', identity: { clientCert: { clientCertPem: certificatePem } } } } as unknown as Partial<APIGatewayProxyEvent>);
  const caller: CertificateCaller = {
    kind: 'APPLICATION', tenant: 'acme', appId: 'app-1', systemAuthId: SYSTEM_AUTH_ID, scopes: ['application:read'], via: 'CERTIFICATE', certificateFingerprint: fingerprint,
  };

  it('issues the token bound to the certificate: x5t#S256 is the base64url SHA-256 of its DER', async () => {
    certificateAuthentication.authenticate.mockResolvedValue(caller);
    const response = await handleTokenRequest(mtlsEvent(`grant_type=client_credentials&client_id=${SYSTEM_AUTH_ID}`));
    expect(response.statusCode).toBe(200);
    expect(issue).toHaveBeenCalledWith(
      { id: SYSTEM_AUTH_ID, tenant: 'acme', kind: 'APPLICATION', appId: 'app-1' }, ['application:read'], 'https://api.example.test',
      { certificateThumbprint: createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('base64url') },
    );
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('answers a certificate the authenticator refuses (here: expired) with invalid_client, records it, and issues nothing', async () => {
    certificateAuthentication.authenticate.mockRejectedValue(new CertificateRefusedError('EXPIRED', 'The client certificate has expired'));
    const response = await handleTokenRequest(mtlsEvent(`grant_type=client_credentials&client_id=${SYSTEM_AUTH_ID}`));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(certificateRefusals.record).toHaveBeenCalledTimes(1);
    expect(issue).not.toHaveBeenCalled();
  });

  it('refuses a client_id other than the certificate\'s CN before authenticating (which would record a use)', async () => {
    const response = await handleTokenRequest(mtlsEvent(`grant_type=client_credentials&client_id=${CLIENT_ID}`));
    expect(response.statusCode).toBe(401);
    expect(certificateAuthentication.authenticate).not.toHaveBeenCalled();
    expect(issue).not.toHaveBeenCalled();
  });
});
