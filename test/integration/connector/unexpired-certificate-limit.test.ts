// MAX_UNEXPIRED_CERTIFICATES against DynamoDB Local + moto: a renew-and-revoke loop stops at the limit although few of its
// certificates are live (revocation frees no slot of it), and expiry frees the slots again.
import { randomUUID, X509Certificate } from 'node:crypto';
import { handler as connectorHandler } from '../../../functions/connector/handler';
import { clientCertificateData } from '../../../local/api-gateway-event';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { ConnectorService } from '../../../shared/connector/service';
import { LiveCertificateLimitError } from '../../../shared/errors';
import { freshTenant } from '../../support/local-aws';
import { withSettings } from '../../support/settings';
import { certificateAuthentication, certificates, oneTimeTokens, certificateAuths, newAuditRecorder, caLifecycle, connectorCa } from '../../support/stores';
import { base64Pem, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { adapter, callConnector, csrToken, mtlsEvent, pemOf, SIGN } from './pairing-fixture';
import { config } from '../../../shared/config';
import { aws } from '../../../functions/container';

withSettings({ MAX_UNEXPIRED_CERTIFICATES: '3', MAX_LIVE_CERTIFICATES: '5' });
beforeAll(() => caLifecycle.ensure());

const keys = rsaKeyPair(2048);
const applications = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));

// GraphQL answers are read like a client reads them.
async function overMtls(certificatePem: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  return JSON.parse((await connectorHandler(mtlsEvent('/connector/graphql', certificatePem, query, variables))).body);
}

test('renew-and-retire in a loop is refused at MAX_UNEXPIRED_CERTIFICATES with one live certificate; expiry frees the slots', async () => {
  const tenant = freshTenant();
  const app = await applications.register(tenant, { name: `loop-${randomUUID().slice(0, 8)}` });
  const generated = await adapter.generate({ tenant, id: app.id, name: app.name }, {}, { publicBaseUrl: 'https://pairing.example.test' });
  const systemAuthId = generated.systemAuthID;
  const csr = base64Pem(goodCsrDer(keys, systemAuthId));
  const paired = await callConnector(SIGN, { csr }, await csrToken({ tenant, appId: app.id, systemAuthId, token: String(generated.params.token), params: generated.params }));
  let current = pemOf(paired.json.data.result.clientCertificate);

  // The rotation a client is told to do (renew, then retire the previous certificate), run in a loop: one live certificate at a time.
  for (let i = 0; i < 2; i++) {
    const renewed = await overMtls(current, 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }', { csr });
    expect(renewed.errors).toBeUndefined();
    current = pemOf(renewed.data.signCertificateSigningRequest.clientCertificate);
    expect(await overMtls(current, 'mutation { retirePreviousCertificate }')).toEqual({ data: { retirePreviousCertificate: true } });
  }
  const refused = await overMtls(current, 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }', { csr });
  expect(refused.errors).toEqual([
    expect.objectContaining({
      message: expect.stringMatching(new RegExp(`^SystemAuth ${systemAuthId} has reached its limit of 3 unexpired certificates, revoked ones included \\(MAX_UNEXPIRED_CERTIFICATES\\); a revocation does not free these`)),
      extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
    }),
  ]);
  const records = await certificates.listOf(systemAuthId);
  expect(records).toHaveLength(3);
  expect(records.filter((record) => !record.revoked)).toHaveLength(1);

  // Once they expired, the slots are free again (no write made them so: the refusal path counts the records).
  const caller = await certificateAuthentication.authenticate(clientCertificateData(new X509Certificate(current)));
  const service = new ConnectorService(oneTimeTokens, certificateAuths, certificates, newAuditRecorder(), config, aws.dynamo, connectorCa);
  await expect(service.signCertificateSigningRequest({ kind: 'CERTIFICATE', application: caller }, csr)).rejects.toBeInstanceOf(LiveCertificateLimitError);
  const later = new Date(Math.max(...records.map((record) => Date.parse(record.notAfter))) + 1000);
  await service.signCertificateSigningRequest({ kind: 'CERTIFICATE', application: caller }, csr, later);
  expect(await certificates.listOf(systemAuthId)).toHaveLength(4);
});
