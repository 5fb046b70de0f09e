// The Director authenticates mTLS and bearer callers while Secrets Manager refuses it the private-key secrets and KMS
// refuses it kms:Sign (as its IAM role and the CA key's policy do).
import { randomUUID, X509Certificate } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { directorServices } from '../../../functions/director/handler';
import { clientCertificateData } from '../../../local/api-gateway-event';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { validateCsr } from '../../../shared/certificates/csr';
import { announcedSubject } from '../../../shared/certificates/subject';
import { directorEndpoint } from '../../../shared/director/endpoint';
import { handleGraphQLRequest } from '../../../shared/graphql/endpoint';
import { freshTenant } from '../../support/local-aws';
import { inProcessTokenIssuer, caLifecycle, certificateAuthority } from '../../support/stores';
import { base64Pem, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { adapter, callConnector, csrToken, pemOf, SIGN } from '../connector/pairing-fixture';
import { administrator } from '../pairing/director-calls';
import { awsError, injectFailure } from '../pairing/aws-failures';
import { config } from '../../../shared/config';
import { aws, secrets, signingKeys, signingKeyLifecycle } from '../../../functions/container';

/** The secrets holding private keys: the Director's role may not read them (serverless.yml, VerifyCallerCredentials). The
 * pairing CA's key is in KMS (kms:Sign refused below); `pairing-ca` is the pre-KMS secret, which the bootstrap deletes. */
const PRIVATE_SECRET = /\/(pairing-ca|token-signing-keys)$/;

function directorEvent(query: string, auth: { accessToken: string } | { certificatePem: string }): APIGatewayProxyEvent {
  const mtls = 'certificatePem' in auth;
  return {
    resource: '/director/graphql',
    path: '/director/graphql',
    httpMethod: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Host: 'api.example.test',
      'X-Forwarded-Proto': 'https',
      ...(mtls ? {} : { Authorization: `Bearer ${auth.accessToken}` }),
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify({ query }),
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      stage: 'test',
      domainName: 'api.example.test',
      identity: { sourceIp: '127.0.0.1', ...(mtls ? { clientCert: clientCertificateData(new X509Certificate(auth.certificatePem)) } : {}) },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

beforeAll(async () => {
  await caLifecycle.ensure();
  await signingKeyLifecycle.ensure();
});

test('the Director authenticates a client certificate and a bearer token with GetSecretValue refused on private keys and kms:Sign refused', async () => {
  // Credentials made the way the service makes them, before the refusal: the Connector signs, the oauth function signs.
  const tenant = freshTenant();
  const admin = await administrator(tenant);
  const applications = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));
  const app = await applications.register(tenant, { name: `public-only-${randomUUID().slice(0, 8)}` });
  const generated = await adapter.generate({ tenant, id: app.id, name: app.name }, {}, { publicBaseUrl: 'https://pairing.example.test' });
  const token = await csrToken({ tenant, appId: app.id, systemAuthId: generated.systemAuthID, token: String(generated.params.token), params: generated.params });
  const signed = await callConnector(SIGN, { csr: base64Pem(goodCsrDer(rsaKeyPair(2048), generated.systemAuthID)) }, token);
  expect(signed.status).toBe(200);
  const certificatePem = pemOf(signed.json.data.result.clientCertificate);

  const refusal = injectFailure(
    aws.secretsManager,
    { command: 'GetSecretValueCommand', moment: 'before-sending', when: (input) => PRIVATE_SECRET.test(String(input.SecretId)), times: Number.POSITIVE_INFINITY },
    awsError('AccessDeniedException'),
  );
  const signRefusal = injectFailure(
    aws.kms,
    { command: 'SignCommand', moment: 'before-sending', when: () => true, times: Number.POSITIVE_INFINITY },
    awsError('AccessDeniedException'),
  );
  try {
    // Nothing read before may stand in for a read now: a fresh container, as far as the secrets go.
    secrets.clearCache();
    signingKeys.forget();
    // The stand-in does refuse: signing with the CA's KMS key fails.
    const csr = validateCsr(base64Pem(goodCsrDer(rsaKeyPair(2048), generated.systemAuthID)), announcedSubject(generated.systemAuthID, config().csrSubject));
    await expect((await certificateAuthority.load()).issue(csr)).rejects.toThrow(/AccessDeniedException/);
    signRefusal.seen.length = 0;
    refusal.seen.length = 0;

    const endpoint = directorEndpoint(directorServices(inProcessTokenIssuer));
    const viewer = async (auth: { accessToken: string } | { certificatePem: string }) => {
      const response = await handleGraphQLRequest(directorEvent('{ viewer { id type } }', auth), endpoint);
      return { status: response.statusCode, body: JSON.parse(response.body) as unknown };
    };
    expect(await viewer({ certificatePem })).toEqual({ status: 200, body: { data: { viewer: { id: app.id, type: 'APPLICATION' } } } });
    expect(await viewer({ accessToken: admin.accessToken })).toEqual({ status: 200, body: { data: { viewer: { id: admin.clientId, type: 'ADMIN' } } } });
    // It never even asked for them.
    expect(refusal.seen).toEqual([]);
    expect(signRefusal.seen).toEqual([]);
  } finally {
    signRefusal.remove();
    refusal.remove();
  }
});
