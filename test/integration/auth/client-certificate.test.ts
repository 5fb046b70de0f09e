// Client-certificate callers against DynamoDB Local + moto: mTLS events through the real director and connector
// handlers (renewal, revocation, refusals) and authenticateClientCertificate's checks (issuer, validity, record, SystemAuth).
import { generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { handler as connectorHandler } from '../../../functions/connector/handler';
import { handler as directorHandler } from '../../../functions/director/handler';
import { clientCertificateData } from '../../../local/api-gateway-event';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { validateCsr } from '../../../shared/certificates/csr';
import { announcedSubject } from '../../../shared/certificates/subject';
import { UnauthenticatedError } from '../../../shared/errors';
import { CertificateRefusedError, LAST_USED_RESOLUTION_MS } from '../../../shared/auth/client-certificate';
import { PairingAdapterRegistry } from '../../../shared/pairing/registry';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../../shared/config';
import { freshTenant } from '../../support/local-aws';
import { base64Pem, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { adapter, callConnector, csrToken, mtlsEvent, SIGN, pemOf, type PendingPairing } from '../connector/pairing-fixture';
import { certificateAuthentication, certificates, oneTimeTokens, systemAuths, certificateAuths, newAuditRecorder, caLifecycle, certificateAuthority, connectorCa } from '../../support/stores';
import { ConnectorService } from '../../../shared/connector/service';
import { administrator, director } from '../pairing/director-calls';
import { aws } from '../../../functions/container';
import { noFollowUps } from '../../support/caller-trail';

beforeAll(() => caLifecycle.ensure());

const keys = rsaKeyPair(2048);
const applications = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));

interface Paired extends PendingPairing {
  certificatePem: string;
}

/** A registered application paired with a certificate through the token-secured Connector. */
async function pairedApplication(): Promise<Paired> {
  const tenant = freshTenant();
  const app = await applications.register(tenant, { name: `mtls-${randomUUID().slice(0, 8)}` });
  const generated = await adapter.generate({ tenant, id: app.id, name: app.name }, {}, { publicBaseUrl: 'https://pairing.example.test' });
  const pairing: PendingPairing = { tenant, appId: app.id, systemAuthId: generated.systemAuthID, token: String(generated.params.token), params: generated.params };
  const signed = await callConnector(SIGN, { csr: base64Pem(goodCsrDer(keys, pairing.systemAuthId)) }, await csrToken(pairing));
  if (signed.status !== 200) throw new Error(`pairing failed: ${JSON.stringify(signed.json)}`);
  return { ...pairing, certificatePem: pemOf(signed.json.data.result.clientCertificate) };
}

interface Answer {
  status: number;
  // GraphQL answers are read like a client reads them.
  json: { data?: any; errors?: Array<{ message: string; extensions: { code: string } }> };
}

async function overMtls(path: '/director/graphql' | '/connector/graphql', certificatePem: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const event = mtlsEvent(path, certificatePem, query, variables);
  const response = await (path === '/director/graphql' ? directorHandler(event) : connectorHandler(event));
  return { status: response.statusCode, json: JSON.parse(response.body) };
}

const VIEWER = '{ viewer { id type } }';
const CONFIGURATION = '{ configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } } }';
const RENEW = 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate caCertificate certificateChain } }';
const REVOKE = 'mutation { revokeCertificate }';
const codeOf = (answer: Answer) => answer.json.errors?.[0]?.extensions.code;

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();

async function renew(certificatePem: string, systemAuthId: string): Promise<string> {
  const renewed = await overMtls('/connector/graphql', certificatePem, RENEW, { csr: base64Pem(goodCsrDer(keys, systemAuthId)) });
  expect(renewed.json.errors).toBeUndefined();
  return pemOf(renewed.json.data.signCertificateSigningRequest.clientCertificate);
}

describe('the Director and the Connector over mTLS', () => {
  test('the Director sees the application as viewer, and the first mTLS call sets it CONNECTED', async () => {
    const paired = await pairedApplication();
    expect((await applications.require(paired.tenant, paired.appId)).status.condition).toBe('INITIAL');
    const answer = await overMtls('/director/graphql', paired.certificatePem, VIEWER);
    expect(answer).toEqual({ status: 200, json: { data: { viewer: { id: paired.appId, type: 'APPLICATION' } } } });
    expect((await applications.require(paired.tenant, paired.appId)).status.condition).toBe('CONNECTED');
    expect((await systemAuths.get(paired.systemAuthId))?.lastUsedAt).toEqual(expect.any(String));
  });

  test('a steady-state mTLS read reads the record, SystemAuth and application in one round trip (one BatchGetItem), and still sees a revocation at once', async () => {
    const paired = await pairedApplication();
    // The first request of a certificate in this container learns which application its record names.
    expect((await overMtls('/director/graphql', paired.certificatePem, VIEWER)).status).toBe(200);
    // Each call's name, and how many calls were in flight when it started: one round trip = all started before any ended.
    const commands: string[] = [];
    let inFlight = 0;
    let rounds = 0;
    aws.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        if (inFlight++ === 0) rounds++;
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize', name: 'mtlsReadCounter' },
    );
    try {
      const answer = await overMtls('/director/graphql', paired.certificatePem, VIEWER);
      expect(answer.json.data).toEqual({ viewer: { id: paired.appId, type: 'APPLICATION' } });
      expect(commands).toEqual(['BatchGetItemCommand']);
      expect(rounds).toBe(1);
      await certificates.revoke(paired.systemAuthId, fingerprintOf(paired.certificatePem));
      commands.length = 0;
      const refused = await overMtls('/director/graphql', paired.certificatePem, VIEWER);
      expect(refused.status).toBe(401);
      expect(commands[0]).toBe('BatchGetItemCommand');
    } finally {
      aws.dynamo.middlewareStack.remove('mtlsReadCounter');
    }
  });

  test('an application caller reads itself only and may not administer', async () => {
    const paired = await pairedApplication();
    const own = await overMtls('/director/graphql', paired.certificatePem, 'query($id: ID!) { application(id: $id) { id } }', { id: paired.appId });
    expect(own.json.data.application).toEqual({ id: paired.appId });
    const other = await overMtls('/director/graphql', paired.certificatePem, 'query($id: ID!) { application(id: $id) { id } }', { id: randomUUID() });
    expect(other.json.data.application).toBeNull();
    const register = await overMtls('/director/graphql', paired.certificatePem, 'mutation { registerApplication(in: {name: "nope"}) { id } }');
    expect(codeOf(register)).toBe('FORBIDDEN');
  });

  test('configuration returns the same CSR info and a null token', async () => {
    const paired = await pairedApplication();
    const answer = await overMtls('/connector/graphql', paired.certificatePem, CONFIGURATION);
    expect(answer.status).toBe(200);
    expect(answer.json.data.configuration).toEqual({
      token: null,
      certificateSigningRequestInfo: { subject: `O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=${paired.systemAuthId}`, keyAlgorithm: 'rsa2048' },
    });
  });

  test('renewal issues a new certificate under the same SystemAuth; both the old and the new one work', async () => {
    const paired = await pairedApplication();
    const renewedPem = await renew(paired.certificatePem, paired.systemAuthId);
    const renewed = new X509Certificate(renewedPem);
    const old = new X509Certificate(paired.certificatePem);
    expect(renewed.serialNumber).not.toBe(old.serialNumber);
    expect(renewed.subject).toBe(old.subject);
    expect(renewed.verify(new X509Certificate((await certificateAuthority.load()).certificatePem).publicKey)).toBe(true);
    expect(await certificates.listOf(paired.systemAuthId)).toHaveLength(2);
    expect((await overMtls('/director/graphql', paired.certificatePem, VIEWER)).status).toBe(200);
    expect((await overMtls('/director/graphql', renewedPem, VIEWER)).status).toBe(200);
  });

  test('renewal with a CSR of another CN is BAD_USER_INPUT and records nothing', async () => {
    const paired = await pairedApplication();
    const answer = await overMtls('/connector/graphql', paired.certificatePem, RENEW, { csr: base64Pem(goodCsrDer(keys, randomUUID())) });
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.json.errors?.[0]?.message).toMatch(/subject/i);
    expect(await certificates.listOf(paired.systemAuthId)).toHaveLength(1);
  });

  test('revokeCertificate revokes the calling certificate: refused from the next request on, with every certificate renewed from it', async () => {
    const paired = await pairedApplication();
    const successor = await renew(paired.certificatePem, paired.systemAuthId);
    const grandchild = await renew(successor, paired.systemAuthId);
    const revoked = await overMtls('/connector/graphql', paired.certificatePem, REVOKE);
    expect(revoked).toEqual({ status: 200, json: { data: { revokeCertificate: true } } });

    for (const path of ['/director/graphql', '/connector/graphql'] as const) {
      const refused = await overMtls(path, paired.certificatePem, path === '/director/graphql' ? VIEWER : CONFIGURATION);
      expect(refused.status).toBe(401);
      expect(codeOf(refused)).toBe('UNAUTHENTICATED');
      expect(refused.json.data).toBeUndefined();
    }
    expect(codeOf(await overMtls('/connector/graphql', paired.certificatePem, RENEW, { csr: base64Pem(goodCsrDer(keys, paired.systemAuthId)) }))).toBe('UNAUTHENTICATED');
    // A thief who renewed the stolen certificate holds nothing any more, however many renewals deep.
    for (const pem of [successor, grandchild]) expect((await overMtls('/director/graphql', pem, VIEWER)).status).toBe(401);
    expect((await certificates.listOf(paired.systemAuthId)).map((r) => r.revoked)).toEqual([true, true, true]);
  });

  test('renewals record their lineage; revoking one in the middle leaves its predecessor working', async () => {
    const paired = await pairedApplication();
    const successor = await renew(paired.certificatePem, paired.systemAuthId);
    const grandchild = await renew(successor, paired.systemAuthId);
    const byFingerprint = new Map((await certificates.listOf(paired.systemAuthId)).map((r) => [r.sha256Fingerprint, r]));
    expect(byFingerprint.get(fingerprintOf(paired.certificatePem))?.renewedFrom).toBeUndefined();
    expect(byFingerprint.get(fingerprintOf(successor))?.renewedFrom).toBe(fingerprintOf(paired.certificatePem));
    expect(byFingerprint.get(fingerprintOf(grandchild))?.renewedFrom).toBe(fingerprintOf(successor));

    expect((await overMtls('/connector/graphql', successor, REVOKE)).status).toBe(200);
    expect((await overMtls('/director/graphql', grandchild, VIEWER)).status).toBe(401);
    expect((await overMtls('/director/graphql', paired.certificatePem, VIEWER)).json.data.viewer.id).toBe(paired.appId);
  });

  test('retirePreviousCertificate: after a renewal the new certificate retires the old one and any other renewal of it, and keeps working', async () => {
    const paired = await pairedApplication();
    const mine = await renew(paired.certificatePem, paired.systemAuthId);
    const stolenCopy = await renew(paired.certificatePem, paired.systemAuthId); // a second renewal of the old certificate
    const mineRenewed = await renew(mine, paired.systemAuthId);

    const retired = await overMtls('/connector/graphql', mine, 'mutation { retirePreviousCertificate }');
    expect(retired).toEqual({ status: 200, json: { data: { retirePreviousCertificate: true } } });
    for (const pem of [paired.certificatePem, stolenCopy]) expect((await overMtls('/director/graphql', pem, VIEWER)).status).toBe(401);
    for (const pem of [mine, mineRenewed]) expect((await overMtls('/director/graphql', pem, VIEWER)).status).toBe(200);

    const first = await overMtls('/connector/graphql', mineRenewed, 'mutation { retirePreviousCertificate }');
    expect(first.status).toBe(200);
    const original = await pairedApplication();
    const nothingToRetire = await overMtls('/connector/graphql', original.certificatePem, 'mutation { retirePreviousCertificate }');
    expect(codeOf(nothingToRetire)).toBe('BAD_USER_INPUT');
    expect(nothingToRetire.json.errors?.[0]?.message).toMatch(/not renewed from another one/);
  });

  test('a renewal racing the revocation of its certificate records nothing (the lineage check is part of its transaction)', async () => {
    const paired = await pairedApplication();
    const fingerprint = fingerprintOf(paired.certificatePem);
    // The caller as authentication saw it a moment before the revocation landed.
    const caller = {
      kind: 'CERTIFICATE' as const,
      application: {
        kind: 'APPLICATION' as const, tenant: paired.tenant, appId: paired.appId, systemAuthId: paired.systemAuthId,
        scopes: ['application:read'], via: 'CERTIFICATE' as const, certificateFingerprint: fingerprint,
      },
    };
    await certificates.revoke(paired.systemAuthId, fingerprint);
    const connector = new ConnectorService(oneTimeTokens, certificateAuths, certificates, newAuditRecorder(), config, aws.dynamo, connectorCa);
    await expect(connector.signCertificateSigningRequest(caller, base64Pem(goodCsrDer(keys, paired.systemAuthId))))
      .rejects.toThrow('The client certificate has been revoked');
    expect(await certificates.listOf(paired.systemAuthId)).toHaveLength(1);
  });

  test('an administrator revokes one certificate by serial or fingerprint from the Director, with its renewals; the SystemAuth stays', async () => {
    const paired = await pairedApplication();
    const successor = await renew(paired.certificatePem, paired.systemAuthId);
    const sibling = await renew(paired.certificatePem, paired.systemAuthId);
    const admin = await administrator(paired.tenant);
    const REVOKE_ISSUED = 'mutation($id: ID!, $serial: String, $fingerprint: String) { revokeIssuedCertificate(authID: $id, serialNumber: $serial, sha256Fingerprint: $fingerprint) { sha256Fingerprint revoked renewedFrom } }';
    // openssl's way of writing a serial: upper case with colons.
    const serial = new X509Certificate(successor).serialNumber.toUpperCase().match(/.{1,2}/g)!.join(':');
    const answer = await director(admin.accessToken, REVOKE_ISSUED, { id: paired.systemAuthId, serial });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.revokeIssuedCertificate).toEqual([
      { sha256Fingerprint: fingerprintOf(successor), revoked: true, renewedFrom: fingerprintOf(paired.certificatePem) },
    ]);
    expect((await overMtls('/director/graphql', successor, VIEWER)).status).toBe(401);
    for (const pem of [paired.certificatePem, sibling]) expect((await overMtls('/director/graphql', pem, VIEWER)).status).toBe(200);

    const byFingerprint = await director(admin.accessToken, REVOKE_ISSUED, { id: paired.systemAuthId, fingerprint: fingerprintOf(paired.certificatePem) });
    expect(byFingerprint.data!.revokeIssuedCertificate.map((c: { sha256Fingerprint: string }) => c.sha256Fingerprint).sort())
      .toEqual([fingerprintOf(paired.certificatePem), fingerprintOf(successor), fingerprintOf(sibling)].sort());
    expect((await overMtls('/director/graphql', sibling, VIEWER)).status).toBe(401);
    expect((await systemAuths.get(paired.systemAuthId))?.status).toBe('ACTIVE');

    const neither = await director(admin.accessToken, REVOKE_ISSUED, { id: paired.systemAuthId });
    expect(neither.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const unknown = await director(admin.accessToken, REVOKE_ISSUED, { id: paired.systemAuthId, serial: 'ff' });
    expect(unknown.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    const otherTenant = await director((await administrator(freshTenant())).accessToken, REVOKE_ISSUED, { id: paired.systemAuthId, serial });
    expect(otherTenant.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    const asApplication = await overMtls('/director/graphql', paired.certificatePem, REVOKE_ISSUED, { id: paired.systemAuthId, serial });
    expect(asApplication.status).toBe(401); // revoked above; an application is never an administrator anyway
  });

  test('the certificate adapter\'s revoke (behind deleteSystemAuthForApplication, unpair, unregister) revokes every certificate of the SystemAuth', async () => {
    const paired = await pairedApplication();
    const successor = await renew(paired.certificatePem, paired.systemAuthId);
    const auth = await systemAuths.get(paired.systemAuthId);
    await new PairingAdapterRegistry([adapter]).revoke(auth!, noFollowUps);
    for (const pem of [paired.certificatePem, successor]) {
      expect((await overMtls('/director/graphql', pem, VIEWER)).status).toBe(401);
    }
    expect((await certificates.listOf(paired.systemAuthId)).map((r) => r.revoked)).toEqual([true, true]);
  });

  test('certificate headers a client sends are never read, on the mTLS event either', async () => {
    const paired = await pairedApplication();
    const event = mtlsEvent('/director/graphql', paired.certificatePem, VIEWER);
    event.requestContext.identity.clientCert = null;
    event.headers['X-Client-Cert'] = encodeURIComponent(paired.certificatePem);
    event.headers['Client-Id-From-Certificate'] = paired.systemAuthId;
    event.headers['Certificate-Data'] = Buffer.from(paired.certificatePem).toString('base64');
    const director = await directorHandler(event);
    expect(director.statusCode).toBe(401);
    const connector = await connectorHandler({ ...event, path: '/connector/graphql', body: JSON.stringify({ query: CONFIGURATION }) });
    expect(connector.statusCode).toBe(401);
  });
});

describe('authenticateClientCertificate', () => {
  /** The refusal's code and message: a 401 to the client, the code for the audit trail's metrics. */
  const refused = async (pem: string, now?: Date): Promise<{ code: string; message: string }> => {
    const error = await certificateAuthentication.authenticate(clientCertificateData(new X509Certificate(pem)), { now }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toBeInstanceOf(CertificateRefusedError);
    return { code: (error as CertificateRefusedError).refusal, message: (error as Error).message };
  };
  const refusal = async (pem: string, now?: Date): Promise<string> => (await refused(pem, now)).message;

  test('maps the certificate to its application caller', async () => {
    const paired = await pairedApplication();
    const caller = await certificateAuthentication.authenticate(clientCertificateData(new X509Certificate(paired.certificatePem)));
    expect(caller).toEqual({
      kind: 'APPLICATION',
      tenant: paired.tenant,
      appId: paired.appId,
      systemAuthId: paired.systemAuthId,
      scopes: ['application:read'],
      via: 'CERTIFICATE',
      certificateFingerprint: new X509Certificate(paired.certificatePem).fingerprint256.replace(/:/g, '').toLowerCase(),
    });
  });

  test('a steady-state call writes nothing; lastUsedAt advances once the interval has passed, CONNECTED is written once', async () => {
    const paired = await pairedApplication();
    const presented = clientCertificateData(new X509Certificate(paired.certificatePem));
    const start = new Date();
    await certificateAuthentication.authenticate(presented, { now: start }); // the first call: CONNECTED and lastUsedAt
    expect((await applications.require(paired.tenant, paired.appId)).status.condition).toBe('CONNECTED');
    expect((await systemAuths.get(paired.systemAuthId))?.lastUsedAt).toBe(start.toISOString());

    const send = jest.spyOn(aws.dynamo, 'send');
    try {
      for (let call = 1; call <= 5; call++) await certificateAuthentication.authenticate(presented, { now: new Date(start.getTime() + call * 1000) });
      const commands = send.mock.calls.map(([command]) => command.constructor.name);
      expect(commands.filter((name) => !/^(Get|BatchGet|Query)Command$/.test(name))).toEqual([]);

      const later = new Date(start.getTime() + LAST_USED_RESOLUTION_MS);
      await certificateAuthentication.authenticate(presented, { now: later });
      expect((await systemAuths.get(paired.systemAuthId))?.lastUsedAt).toBe(later.toISOString());
      expect(send.mock.calls.map(([command]) => command.constructor.name).filter((name) => name === 'UpdateCommand')).toHaveLength(1);
    } finally {
      send.mockRestore();
    }
  });

  test('refuses a certificate past its NotAfter or before its NotBefore, by the certificate\'s own dates', async () => {
    const paired = await pairedApplication();
    const certificate = new X509Certificate(paired.certificatePem);
    expect(await refused(paired.certificatePem, new Date(Date.parse(certificate.validTo) + 1000))).toEqual({ code: 'EXPIRED', message: expect.stringMatching(/expired/) });
    expect(await refused(paired.certificatePem, new Date(Date.parse(certificate.validFrom) - 1000))).toEqual({ code: 'NOT_YET_VALID', message: expect.stringMatching(/not valid yet/) });
  });

  test('refuses a self-signed certificate with the very same subject', async () => {
    const paired = await pairedApplication();
    const original = forge.pki.certificateFromPem(paired.certificatePem);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
    const forged = forge.pki.createCertificate();
    forged.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    forged.serialNumber = original.serialNumber;
    forged.validity.notBefore = original.validity.notBefore;
    forged.validity.notAfter = original.validity.notAfter;
    forged.setSubject(original.subject.attributes);
    forged.setIssuer(original.issuer.attributes); // even the pairing CA's name as issuer
    forged.sign(key, forge.md.sha256.create());
    expect(await refused(forge.pki.certificateToPem(forged))).toEqual({ code: 'UNKNOWN_CERTIFICATE', message: expect.stringMatching(/not issued by this service/) });
  });

  test('refuses a certificate of the pairing CA that the service never recorded', async () => {
    const paired = await pairedApplication();
    const authority = await certificateAuthority.load();
    const unrecorded = await authority.issue(validateCsr(base64Pem(goodCsrDer(keys, paired.systemAuthId)), announcedSubject(paired.systemAuthId, config().csrSubject)), { validityDays: 1 });
    expect(await refused(unrecorded.certificatePem)).toEqual({ code: 'UNKNOWN_CERTIFICATE', message: expect.stringMatching(/not known/) });
  });

  test('refuses a revoked certificate on the very next check (no cache)', async () => {
    const paired = await pairedApplication();
    const data = clientCertificateData(new X509Certificate(paired.certificatePem));
    await certificateAuthentication.authenticate(data);
    await certificates.revoke(paired.systemAuthId, new X509Certificate(paired.certificatePem).fingerprint256.replace(/:/g, '').toLowerCase());
    expect(await refused(paired.certificatePem)).toEqual({ code: 'REVOKED', message: expect.stringMatching(/revoked/) });
  });

  test('refuses a certificate whose SystemAuth is revoked between the checks and recording its use', async () => {
    const paired = await pairedApplication();
    const client = aws.dynamo;
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    let revoked = false;
    const spy = jest.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      const recordsUse = command instanceof UpdateCommand && command.input.TableName === config().systemAuthsTable
        && command.input.UpdateExpression === 'SET lastUsedAt = :at';
      if (recordsUse && !revoked) {
        revoked = true;
        await systemAuths.updateStatus(paired.tenant, paired.systemAuthId, 'REVOKED');
      }
      return send(command);
    }) as typeof client.send);
    try {
      expect(await refusal(paired.certificatePem)).toBe('The client certificate has been revoked');
    } finally {
      spy.mockRestore();
    }
    expect(revoked).toBe(true);
  });

  test('refuses the certificate of an application deleted behind its back (pairing racing unregistering), and creates nothing', async () => {
    const paired = await pairedApplication();
    // Only the application items go, as when unregistering listed the SystemAuths before pairing wrote this one.
    const app = await applications.require(paired.tenant, paired.appId);
    await new ApplicationRepository(aws.dynamo, config().applicationsTable, config).delete(app);
    expect(await refused(paired.certificatePem)).toEqual({ code: 'GONE', message: 'The application of this client certificate no longer exists' });
    await expect(applications.get(paired.tenant, paired.appId)).resolves.toBeUndefined();
    const answer = await overMtls('/director/graphql', paired.certificatePem, VIEWER);
    expect(answer.status).toBe(401);
  });

  test('refuses anything that is not an X.509 certificate', async () => {
    const error = await certificateAuthentication.authenticate({ ...clientCertificateData(new X509Certificate((await pairedApplication()).certificatePem)), clientCertPem: 'not a certificate' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toMatch(/not a valid X\.509/);
  });
});
