// RFC 8705 against DynamoDB Local + moto: tls_client_auth at the token endpoint (mTLS events through the oauth handler),
// the cnf claim, and the Director's refusal of a bound token without its certificate, with another, or after revocation.
import { createHash, generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { decodeJwt } from 'jose';
import forge from 'node-forge';
import { handler as connectorHandler } from '../../../functions/connector/handler';
import { handler as directorHandler } from '../../../functions/director/handler';
import { handler as oauthHandler } from '../../../functions/oauth/handler';
import { clientCertificateData } from '../../../local/api-gateway-event';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { ensureCertificateAuthority } from '../../../shared/certificates/ca-lifecycle';
import { config } from '../../../shared/config';
import { verifyAccessToken } from '../../../shared/oauth/access-tokens';
import { aws } from '../../../functions/container';
import { freshTenant } from '../../support/local-aws';
import { oauthClients, systemAuths, certificates } from '../../support/stores';
import { base64Pem, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { adapter, callConnector, csrToken, mtlsEvent, pemOf, SIGN } from '../connector/pairing-fixture';
import { BASE_URL, basicAuthorization, oauthEvent, tokenRequest } from './token-requests';

beforeAll(() => ensureCertificateAuthority());

const keys = rsaKeyPair(2048);
const applications = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));

interface Paired {
  tenant: string;
  appId: string;
  systemAuthId: string;
  certificatePem: string;
}

async function pairedApplication(): Promise<Paired> {
  const tenant = freshTenant();
  const app = await applications.register(tenant, { name: `bound-${randomUUID().slice(0, 8)}` });
  const generated = await adapter.generate({ tenant, id: app.id, name: app.name }, {}, { publicBaseUrl: BASE_URL });
  const pairing = { tenant, appId: app.id, systemAuthId: generated.systemAuthID, token: String(generated.params.token), params: generated.params };
  const signed = await callConnector(SIGN, { csr: base64Pem(goodCsrDer(keys, pairing.systemAuthId)) }, await csrToken(pairing));
  if (signed.status !== 200) throw new Error(`pairing failed: ${JSON.stringify(signed.json)}`);
  return { tenant, appId: app.id, systemAuthId: pairing.systemAuthId, certificatePem: pemOf(signed.json.data.result.clientCertificate) };
}

/** POST /oauth2/token as API Gateway's mTLS custom domain hands it over: the verified certificate in the request context. */
function mtlsTokenRequest(certificatePem: string, body: string, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  const event = tokenRequest(body, headers);
  return {
    ...event,
    requestContext: { ...event.requestContext, requestId: randomUUID(), identity: { sourceIp: '127.0.0.1', clientCert: clientCertificateData(new X509Certificate(certificatePem)) } },
  } as unknown as APIGatewayProxyEvent;
}

async function boundToken(paired: Paired, extra = ''): Promise<string> {
  const response = await oauthHandler(mtlsTokenRequest(paired.certificatePem, `grant_type=client_credentials&client_id=${paired.systemAuthId}${extra}`));
  expect(response.statusCode).toBe(200);
  return JSON.parse(response.body).access_token as string;
}

const thumbprintOf = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const VIEWER = '{ viewer { id } }';

/** The Director over the mTLS endpoint (a certificate) or the plain one (none: no client certificate in the context), the token as bearer. */
async function director(accessToken: string, certificatePem: string | undefined) {
  const headers = { Authorization: `Bearer ${accessToken}` };
  const event = certificatePem
    ? mtlsEvent('/director/graphql', certificatePem, VIEWER, {}, headers)
    : directorEventOverHttps(headers);
  const response = await directorHandler(event);
  return { status: response.statusCode, headers: response.headers ?? {}, json: JSON.parse(response.body) };
}

function directorEventOverHttps(headers: Record<string, string>): APIGatewayProxyEvent {
  return {
    resource: '/director/graphql', path: '/director/graphql', httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', Host: 'api.example.test', ...headers },
    multiValueHeaders: {}, queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
    body: JSON.stringify({ query: VIEWER }), isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), stage: 'test', identity: { sourceIp: '127.0.0.1', clientCert: null } } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

/** A certificate with the pairing's very subject, signed by a CA of someone else's (itself). */
function foreignCertificate(paired: Paired): string {
  const original = forge.pki.certificateFromPem(paired.certificatePem);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const forged = forge.pki.createCertificate();
  forged.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  forged.serialNumber = original.serialNumber;
  forged.validity.notBefore = original.validity.notBefore;
  forged.validity.notAfter = original.validity.notAfter;
  forged.setSubject(original.subject.attributes);
  forged.setIssuer(original.issuer.attributes);
  forged.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(forged);
}

function expectInvalidClient(response: { statusCode: number; body: string; headers?: Record<string, unknown> }): void {
  expect(response.statusCode).toBe(401);
  expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
}

function expectInvalidToken(answer: Awaited<ReturnType<typeof director>>, description: RegExp): void {
  expect(answer.status).toBe(401);
  expect(answer.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect(answer.json.data).toBeUndefined();
  expect(String(answer.headers['www-authenticate'])).toMatch(/^Bearer error="invalid_token", error_description="/);
  expect(answer.json.errors[0].message).toMatch(description);
}

describe('tls_client_auth (RFC 8705 2.1) at POST /oauth2/token on the mTLS endpoint', () => {
  it('grants a paired certificate a token with the application claims and cnf.x5t#S256 of that certificate', async () => {
    const paired = await pairedApplication();
    const token = await boundToken(paired);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: BASE_URL, sub: paired.systemAuthId, tenant: paired.tenant, client_kind: 'APPLICATION', app_id: paired.appId,
      scope: 'application:read', cnf: { 'x5t#S256': thumbprintOf(paired.certificatePem) },
    });
    await expect(verifyAccessToken(token, BASE_URL, config())).resolves.toMatchObject({ certificateThumbprint: thumbprintOf(paired.certificatePem) });
    expect((await systemAuths.get(paired.systemAuthId))?.lastUsedAt).toEqual(expect.any(String));
  });

  it('refuses a secret, a Basic header or an assertion beside the certificate with invalid_request, and a missing client_id', async () => {
    const paired = await pairedApplication();
    const base = `grant_type=client_credentials&client_id=${paired.systemAuthId}`;
    for (const [body, headers] of [
      [`${base}&client_secret=x`, {}],
      [base, { Authorization: basicAuthorization(paired.systemAuthId, 'x') }],
      [`${base}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c`, {}],
      ['grant_type=client_credentials', {}],
    ] as const) {
      const response = await oauthHandler(mtlsTokenRequest(paired.certificatePem, body, headers));
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).error).toBe('invalid_request');
    }
    expect((await systemAuths.get(paired.systemAuthId))?.lastUsedAt).toBeUndefined();
  });

  it('refuses another CA\'s certificate, a revoked one, another pairing\'s client_id and an OAuth client\'s id with invalid_client, changing nothing', async () => {
    const paired = await pairedApplication();
    const other = await pairedApplication();
    const oauthClient = await oauthClients.create({ tenant: paired.tenant, kind: 'APPLICATION', appId: paired.appId, scopes: ['application:read'] });
    const grant = (pem: string, clientId: string) => oauthHandler(mtlsTokenRequest(pem, `grant_type=client_credentials&client_id=${clientId}`));

    expectInvalidClient(await grant(foreignCertificate(paired), paired.systemAuthId));
    expectInvalidClient(await grant(other.certificatePem, paired.systemAuthId));
    expectInvalidClient(await grant(paired.certificatePem, oauthClient.clientId));
    for (const id of [paired.systemAuthId, other.systemAuthId, oauthClient.clientId]) expect((await systemAuths.get(id))?.lastUsedAt).toBeUndefined();
    expect((await applications.get(paired.tenant, paired.appId))?.status.condition).not.toBe('CONNECTED');

    const revoked = await connectorHandler(mtlsEvent('/connector/graphql', other.certificatePem, 'mutation { revokeCertificate }'));
    expect(revoked.statusCode).toBe(200);
    expectInvalidClient(await grant(other.certificatePem, other.systemAuthId));
  });
});

describe('introspection of a certificate-bound token (RFC 7662 with RFC 8705 3.2)', () => {
  const introspect = async (token: string, caller: { clientId: string; clientSecret: string }) => {
    const response = await oauthHandler(oauthEvent('POST', '/oauth2/introspect', {
      body: `token=${encodeURIComponent(token)}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basicAuthorization(caller.clientId, caller.clientSecret) },
    }));
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body) as Record<string, unknown>;
  };

  it('is active with its cnf while its certificate lives, and inactive once the certificate is revoked', async () => {
    const paired = await pairedApplication();
    const admin = await oauthClients.createAdmin(paired.tenant);
    const token = await boundToken(paired);
    expect(await introspect(token, admin)).toMatchObject({
      active: true, sub: paired.systemAuthId, client_id: paired.systemAuthId, app_id: paired.appId, scope: 'application:read',
      cnf: { 'x5t#S256': thumbprintOf(paired.certificatePem) },
    });
    expect((await connectorHandler(mtlsEvent('/connector/graphql', paired.certificatePem, 'mutation { revokeCertificate }'))).statusCode).toBe(200);
    expect(await introspect(token, admin)).toEqual({ active: false });
  });
});

describe('the Director and a certificate-bound token (RFC 8705 3)', () => {
  it('accepts it over mTLS with its certificate; refuses it as invalid_token over plain HTTPS and with another application\'s certificate', async () => {
    const paired = await pairedApplication();
    const other = await pairedApplication();
    const token = await boundToken(paired);

    const accepted = await director(token, paired.certificatePem);
    expect(accepted.status).toBe(200);
    expect(accepted.json.data.viewer.id).toBe(paired.appId);

    expectInvalidToken(await director(token, undefined), /bound to a client certificate/);
    expectInvalidToken(await director(token, other.certificatePem), /bound to another client certificate/);
  });

  it('refuses it once its certificate is retired by a renewal, or revoked', async () => {
    const paired = await pairedApplication();
    const token = await boundToken(paired);
    const renewed = await connectorHandler(
      mtlsEvent('/connector/graphql', paired.certificatePem, 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }', {
        csr: base64Pem(goodCsrDer(keys, paired.systemAuthId)),
      }),
    );
    const successor = pemOf(JSON.parse(renewed.body).data.signCertificateSigningRequest.clientCertificate);
    const successorToken = await boundToken({ ...paired, certificatePem: successor });
    const retired = await connectorHandler(mtlsEvent('/connector/graphql', successor, 'mutation { retirePreviousCertificate }'));
    expect(JSON.parse(retired.body)).toEqual({ data: { retirePreviousCertificate: true } });

    expectInvalidToken(await director(token, paired.certificatePem), /not accepted: The client certificate has been revoked/);
    // The successor's own token keeps working until the successor goes too.
    expect((await director(successorToken, successor)).status).toBe(200);
    expect((await connectorHandler(mtlsEvent('/connector/graphql', successor, 'mutation { revokeCertificate }'))).statusCode).toBe(200);
    expectInvalidToken(await director(successorToken, successor), /not accepted/);
    expect((await certificates.listOf(paired.systemAuthId)).every((record) => record.revoked)).toBe(true);
  });
});
