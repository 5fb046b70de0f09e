// MAX_LIVE_CERTIFICATES against DynamoDB Local + moto: a 20-way renewal burst through the real connector handler records
// exactly the limit, a revocation frees a slot, expired certificates stop counting, and records carry their TTL.
import { randomUUID, X509Certificate } from 'node:crypto';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { handler as connectorHandler } from '../../../functions/connector/handler';
import { clientCertificateData } from '../../../local/api-gateway-event';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { AuditRepository } from '../../../shared/audit/repository';
import { config } from '../../../shared/config';
import { CERTIFICATE_LIMIT_REASON } from '../../../shared/connector/refusals';
import { ConnectorService } from '../../../shared/connector/service';
import { LiveCertificateLimitError } from '../../../shared/errors';
import { LIVE_CERTIFICATES_SORT_KEY, recordExpiresAt, UNEXPIRED_CERTIFICATES_SORT_KEY } from '../../../shared/system-auths/certificate-items';
import { freshTenant } from '../../support/local-aws';
import { certificateAuthentication, certificates, oneTimeTokens, certificateAuths, newAuditRecorder, caLifecycle, connectorCa } from '../../support/stores';
import { base64Pem, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { adapter, callConnector, csrToken, mtlsEvent, pemOf, SIGN } from './pairing-fixture';
import { aws } from '../../../functions/container';

beforeAll(() => caLifecycle.ensure());

const keys = rsaKeyPair(2048);
const applications = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));
const LIMIT = 5;

interface Paired {
  tenant: string;
  appId: string;
  systemAuthId: string;
  certificatePem: string;
}

/** A registered application paired with its first certificate through the token-secured Connector. */
async function pairedApplication(): Promise<Paired> {
  const tenant = freshTenant();
  const app = await applications.register(tenant, { name: `limit-${randomUUID().slice(0, 8)}` });
  const generated = await adapter.generate({ tenant, id: app.id, name: app.name }, {}, { publicBaseUrl: 'https://pairing.example.test' });
  const pairing = { tenant, appId: app.id, systemAuthId: generated.systemAuthID, token: String(generated.params.token), params: generated.params };
  const signed = await callConnector(SIGN, { csr: base64Pem(goodCsrDer(keys, pairing.systemAuthId)) }, await csrToken(pairing));
  if (signed.status !== 200) throw new Error(`pairing failed: ${JSON.stringify(signed.json)}`);
  return { tenant, appId: app.id, systemAuthId: pairing.systemAuthId, certificatePem: pemOf(signed.json.data.result.clientCertificate) };
}

interface Answer {
  status: number;
  // GraphQL answers are read like a client reads them.
  json: { data?: any; errors?: Array<{ message: string; extensions: { code: string } }> };
}

async function overMtls(certificatePem: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await connectorHandler(mtlsEvent('/connector/graphql', certificatePem, query, variables));
  return { status: response.statusCode, json: JSON.parse(response.body) };
}

const RENEW = 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }';
const REVOKE = 'mutation { revokeCertificate }';

const renewal = (paired: Paired, certificatePem = paired.certificatePem) =>
  overMtls(certificatePem, RENEW, { csr: base64Pem(goodCsrDer(keys, paired.systemAuthId)) });

const renewedPem = (answer: Answer): string => pemOf(answer.json.data.signCertificateSigningRequest.clientCertificate);

async function liveCount(systemAuthId: string, now = new Date()): Promise<number> {
  return (await certificates.listOf(systemAuthId)).filter((record) => !record.revoked && Date.parse(record.notAfter) > now.getTime()).length;
}

async function counterOf(systemAuthId: string, sk = LIVE_CERTIFICATES_SORT_KEY): Promise<Record<string, unknown> | undefined> {
  const out = await aws.dynamo.send(new GetCommand({ TableName: config().systemAuthsTable, Key: { id: systemAuthId, sk }, ConsistentRead: true }));
  return out.Item;
}

describe('MAX_LIVE_CERTIFICATES: at most 5 unexpired, unrevoked certificates per SystemAuth', () => {
  test('a 20-way concurrent renewal burst records exactly the limit; the rest are FORBIDDEN naming the limit and how to revoke, recording nothing', async () => {
    expect(config().maxLiveCertificates).toBe(LIMIT);
    const paired = await pairedApplication();
    expect(await counterOf(paired.systemAuthId)).toEqual(expect.objectContaining({ count: 1 }));

    const answers = await Promise.all(Array.from({ length: 20 }, () => renewal(paired)));

    const renewed = answers.filter((answer) => answer.json.errors === undefined);
    const refused = answers.filter((answer) => answer.json.errors !== undefined);
    expect(renewed).toHaveLength(LIMIT - 1);
    expect(refused).toHaveLength(20 - (LIMIT - 1));
    for (const answer of refused) {
      expect(answer.status).toBe(200);
      expect(answer.json.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(new RegExp(`^SystemAuth ${paired.systemAuthId} has reached its limit of 5 live .*MAX_LIVE_CERTIFICATES.*revokeCertificate.*retirePreviousCertificate`)),
          extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
        }),
      ]);
    }
    // Nothing beyond the limit was stored, and the counter says what the records say.
    const records = await certificates.listOf(paired.systemAuthId);
    expect(records).toHaveLength(LIMIT);
    expect(await liveCount(paired.systemAuthId)).toBe(LIMIT);
    expect(await counterOf(paired.systemAuthId)).toEqual(expect.objectContaining({ count: LIMIT }));
    expect(await counterOf(paired.systemAuthId, UNEXPIRED_CERTIFICATES_SORT_KEY)).toEqual(expect.objectContaining({ count: LIMIT }));

    // The refusal is in the audit trail like the other CSR refusals, with a reason of its own.
    const trail = await new AuditRepository(aws.dynamo, config().auditTable).query({ tenant: paired.tenant, actions: ['CSR_REFUSED'] }, 50);
    expect(trail.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'CSR_REFUSED', outcome: 'REFUSED', reason: CERTIFICATE_LIMIT_REASON, reasonCode: 'CERTIFICATE_LIMIT', details: expect.objectContaining({ setting: 'MAX_LIVE_CERTIFICATES', limit: 5 }),
          target: expect.objectContaining({ systemAuthId: paired.systemAuthId }),
        }),
      ]),
    );
  });

  test('revoking a certificate frees its slot exactly once: one more renewal, then FORBIDDEN again', async () => {
    const paired = await pairedApplication();
    const pems = [paired.certificatePem];
    for (let i = 1; i < LIMIT; i++) {
      const answer = await renewal(paired);
      expect(answer.json.errors).toBeUndefined();
      pems.push(renewedPem(answer));
    }
    expect((await renewal(paired)).json.errors?.[0]?.extensions.code).toBe('FORBIDDEN');

    // The newest certificate revokes itself (it has no descendants); revoking it twice frees nothing more.
    expect((await overMtls(pems[LIMIT - 1], REVOKE)).json).toEqual({ data: { revokeCertificate: true } });
    expect(await certificates.revoke(paired.systemAuthId, new X509Certificate(pems[LIMIT - 1]).fingerprint256.replace(/:/g, '').toLowerCase())).toBe(true);
    expect(await counterOf(paired.systemAuthId)).toEqual(expect.objectContaining({ count: LIMIT - 1 }));
    // A revoked certificate stays in the count of unexpired ones until it expires.
    expect(await counterOf(paired.systemAuthId, UNEXPIRED_CERTIFICATES_SORT_KEY)).toEqual(expect.objectContaining({ count: LIMIT }));

    expect((await renewal(paired)).json.errors).toBeUndefined();
    expect((await renewal(paired)).json.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(await liveCount(paired.systemAuthId)).toBe(LIMIT);
  });

  test('retirePreviousCertificate frees the slots of what it revokes', async () => {
    const paired = await pairedApplication();
    let latest = paired.certificatePem;
    for (let i = 1; i < LIMIT; i++) {
      const answer = await renewal(paired, latest);
      expect(answer.json.errors).toBeUndefined();
      latest = renewedPem(answer);
    }
    // A chain of five: the newest retires its predecessor and everything renewed from it except itself, i.e. nothing
    // but the predecessor (its own line is the newest alone): one slot.
    expect((await overMtls(latest, 'mutation { retirePreviousCertificate }')).json).toEqual({ data: { retirePreviousCertificate: true } });
    expect(await liveCount(paired.systemAuthId)).toBe(LIMIT - 1);
    expect((await renewal(paired, latest)).json.errors).toBeUndefined();
    expect((await renewal(paired, latest)).json.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });

  test('expired certificates stop counting without any write: the refusal path reconciles the counter with the records', async () => {
    const paired = await pairedApplication();
    for (let i = 1; i < LIMIT; i++) expect((await renewal(paired)).json.errors).toBeUndefined();
    const caller = await certificateAuthentication.authenticate(clientCertificateData(new X509Certificate(paired.certificatePem)));
    const service = new ConnectorService(oneTimeTokens, certificateAuths, certificates, newAuditRecorder(), config, aws.dynamo, connectorCa);
    const csr = base64Pem(goodCsrDer(keys, paired.systemAuthId));

    // Today the SystemAuth is full.
    await expect(service.signCertificateSigningRequest({ kind: 'CERTIFICATE', application: caller }, csr)).rejects.toBeInstanceOf(LiveCertificateLimitError);
    // A day after every one of them expired, none is live: the counter (still 5) is brought down to the records and the renewal goes through.
    const later = new Date(Date.parse((await certificates.listOf(paired.systemAuthId))[0].notAfter) + 86_400_000);
    await service.signCertificateSigningRequest({ kind: 'CERTIFICATE', application: caller }, csr, later);
    expect(await liveCount(paired.systemAuthId, later)).toBe(1);
    expect(await counterOf(paired.systemAuthId)).toEqual(expect.objectContaining({ count: 1 }));
    // Only the counter that refused is reconciled: the unexpired one stays an upper bound (6) until it refuses in turn.
    expect(await counterOf(paired.systemAuthId, UNEXPIRED_CERTIFICATES_SORT_KEY)).toEqual(expect.objectContaining({ count: LIMIT + 1 }));
  });

  test('a SystemAuth without counters (paired before the limits existed) is counted from its records before its next certificate', async () => {
    const paired = await pairedApplication();
    for (let i = 1; i < LIMIT; i++) expect((await renewal(paired)).json.errors).toBeUndefined();
    for (const sk of [LIVE_CERTIFICATES_SORT_KEY, UNEXPIRED_CERTIFICATES_SORT_KEY]) {
      await aws.dynamo.send(new DeleteCommand({ TableName: config().systemAuthsTable, Key: { id: paired.systemAuthId, sk } }));
    }

    expect((await renewal(paired)).json.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(await counterOf(paired.systemAuthId)).toEqual(expect.objectContaining({ count: LIMIT }));
    expect(await liveCount(paired.systemAuthId)).toBe(LIMIT);
  });

  test('a 20-way burst on a SystemAuth without counters still records exactly the limit (the reconciliations race and one wins)', async () => {
    const paired = await pairedApplication();
    for (const sk of [LIVE_CERTIFICATES_SORT_KEY, UNEXPIRED_CERTIFICATES_SORT_KEY]) {
      await aws.dynamo.send(new DeleteCommand({ TableName: config().systemAuthsTable, Key: { id: paired.systemAuthId, sk } }));
    }
    const answers = await Promise.all(Array.from({ length: 20 }, () => renewal(paired)));
    expect(answers.filter((answer) => answer.json.errors === undefined)).toHaveLength(LIMIT - 1);
    expect(answers.filter((answer) => answer.json.errors?.[0]?.extensions.code === 'FORBIDDEN')).toHaveLength(20 - (LIMIT - 1));
    expect(await certificates.listOf(paired.systemAuthId)).toHaveLength(LIMIT);
    expect(await counterOf(paired.systemAuthId)).toEqual(expect.objectContaining({ count: LIMIT }));
  });

  test('certificate records and the counter carry the TTL attribute: CERTIFICATE_RECORD_RETENTION_DAYS after the certificate expires', async () => {
    const paired = await pairedApplication();
    const [record] = await certificates.listOf(paired.systemAuthId);
    const fingerprint = record.sha256Fingerprint;
    const item = await aws.dynamo.send(new GetCommand({ TableName: config().systemAuthsTable, Key: { id: paired.systemAuthId, sk: `CERT#${fingerprint}` } }));
    const expected = Math.ceil(Date.parse(record.notAfter) / 1000) + 30 * 86_400;
    expect(item.Item?.expiresAt).toBe(expected);
    expect(recordExpiresAt(record.notAfter, config().certificateRecordRetentionDays)).toBe(expected);
    expect((await counterOf(paired.systemAuthId))?.expiresAt).toBe(expected);
    // The SystemAuth item itself never expires.
    const auth = await aws.dynamo.send(new GetCommand({ TableName: config().systemAuthsTable, Key: { id: paired.systemAuthId, sk: 'AUTH' } }));
    expect(auth.Item?.expiresAt).toBeUndefined();
  });
});
