// The token-secured Connector against DynamoDB Local + moto: single use under concurrency, CSR validation before spending, idempotent retry, 401s that change nothing.
import { randomUUID, X509Certificate } from 'node:crypto';
import { hashOneTimeToken } from '../../../shared/one-time-tokens/token';
import { CONFIGURATION, SIGN, adapter, callConnector, connectorEvent, csrFor, csrToken, pemOf, pendingPairing } from './pairing-fixture';
import { base64Pem, exponentOneKey, goodCsrDer, rawRsaCsrDer, rsaKeyOfPrimes, rsaKeyPair, rsaPrime } from '../../unit/certificates/csr-builder';
import { handler as connectorHandler } from '../../../functions/connector/handler';
import { freshTenant } from '../../support/local-aws';
import { certificateAuths, certificates, oneTimeTokenService, oneTimeTokens, systemAuths, caLifecycle, certificateAuthority } from '../../support/stores';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { aws } from '../../../functions/container';
import { config } from '../../../shared/config';

beforeAll(() => caLifecycle.ensure());

const codeOf = (response: { json: { errors?: Array<{ extensions: { code: string } }> } }) => response.json.errors?.[0]?.extensions.code;

describe('configuration with the CONFIGURATION token', () => {
  test('returns the announced subject, rsa2048 and a fresh CSR token, and spends the presented token', async () => {
    const pairing = await pendingPairing();
    const response = await callConnector(CONFIGURATION, {}, pairing.token);
    expect(response.status).toBe(200);
    const result = response.json.data.result;
    expect(result.certificateSigningRequestInfo).toEqual({
      subject: `O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=${pairing.systemAuthId}`,
      keyAlgorithm: 'rsa2048',
    });
    // The test stage has no mTLS endpoint configured.
    expect(result.managementPlaneInfo).toEqual({ directorURL: null, certificateSecuredConnectorURL: null });
    expect(result.token.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.token.token).not.toBe(pairing.token);

    const stored = await oneTimeTokens.find(hashOneTimeToken(result.token.token));
    expect(stored).toMatchObject({ purpose: 'CSR', systemAuthId: pairing.systemAuthId, tenant: pairing.tenant, appId: pairing.appId });
    expect(stored?.redeemedAt).toBeUndefined();

    const again = await callConnector(CONFIGURATION, {}, pairing.token);
    expect(again.status).toBe(401);
    expect(codeOf(again)).toBe('UNAUTHENTICATED');
    expect(again.json.data).toBeUndefined();
  });

  test('accepts the token as ?token= query parameter as well', async () => {
    const pairing = await pendingPairing();
    const response = await callConnector(CONFIGURATION, {}, pairing.token, 'query');
    expect(response.status).toBe(200);
    expect(response.json.data.result.token.token).toEqual(expect.any(String));
  });

  test('25 parallel calls with one token: exactly one succeeds, 24 get HTTP 401, one CSR token is issued', async () => {
    const pairing = await pendingPairing();
    const responses = await Promise.all(Array.from({ length: 25 }, () => callConnector(CONFIGURATION, {}, pairing.token)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(24);
    for (const refused of responses.filter((r) => r.status === 401)) {
      expect(codeOf(refused)).toBe('UNAUTHENTICATED');
    }
    // The CONFIGURATION token and the winner's CSR token: the losers issued nothing.
    expect(await certificateAuths.oneTimeTokenHashesOf(pairing.systemAuthId)).toHaveLength(2);
  });

  test('a query naming configuration twice spends the token once and answers both with the same token', async () => {
    const pairing = await pendingPairing();
    const response = await callConnector('{ a: configuration { token { token } } b: configuration { token { token } } }', {}, pairing.token);
    expect(response.status).toBe(200);
    expect(response.json.data.a.token.token).toBe(response.json.data.b.token.token);
  });
});

describe('refused tokens get HTTP 401 before GraphQL runs and change nothing', () => {
  test('missing token', async () => {
    const response = await callConnector(CONFIGURATION, {}, undefined);
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.json.errors?.[0]?.message).toMatch(/Connector-Token/);
  });

  test('unknown and malformed tokens', async () => {
    for (const token of ['A'.repeat(43), 'not a token', 'x'.repeat(5000)]) {
      const response = await callConnector(CONFIGURATION, {}, token);
      expect(response.status).toBe(401);
      expect(codeOf(response)).toBe('UNAUTHENTICATED');
    }
  });

  test('an expired token, even before DynamoDB TTL removed it', async () => {
    // A pairing whose one CONFIGURATION token was issued 301 s ago.
    const pairing = { tenant: freshTenant(), appId: randomUUID(), systemAuthId: randomUUID() };
    await systemAuths.create({
      id: pairing.systemAuthId, tenant: pairing.tenant, kind: 'APPLICATION', type: 'CLIENT_CERTIFICATE', appId: pairing.appId,
      status: 'PENDING', scopes: ['application:read'], createdAt: new Date(Date.now() - 301_000).toISOString(),
    });
    const { token } = await oneTimeTokenService.issueConfigurationToken(pairing, new Date(Date.now() - 301_000));
    const response = await callConnector(CONFIGURATION, {}, token);
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    // Nothing was activated or issued; the auth reads EXPIRED only because the back-dated token is its latest.
    expect((await systemAuths.get(pairing.systemAuthId))?.status).toBe('EXPIRED');
    expect(await certificates.listOf(pairing.systemAuthId)).toEqual([]);
  });

  test('a malformed body with a missing token is 401, with a valid token 400', async () => {
    const missing = await connectorHandler(connectorEvent('{not json'));
    expect(missing.statusCode).toBe(401);
    const pairing = await pendingPairing();
    const malformed = await connectorHandler(connectorEvent('{not json', { token: pairing.token }));
    expect(malformed.statusCode).toBe(400);
    // The token is still good.
    expect((await callConnector(CONFIGURATION, {}, pairing.token)).status).toBe(200);
  });
});

describe('signCertificateSigningRequest with the CSR token', () => {
  test('issues a certificate for the announced subject, chained to the CA, records it and activates the SystemAuth', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const response = await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, token);
    expect(response.status).toBe(200);
    const { certificateChain, caCertificate, clientCertificate } = response.json.data.result;

    const authority = await certificateAuthority.load();
    expect(pemOf(caCertificate)).toBe(authority.certificatePem.endsWith('\n') ? authority.certificatePem : `${authority.certificatePem}\n`);
    expect(pemOf(certificateChain)).toBe(pemOf(clientCertificate) + pemOf(caCertificate));
    const leaf = new X509Certificate(pemOf(clientCertificate));
    const ca = new X509Certificate(pemOf(caCertificate));
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.subject.split('\n')).toEqual(['O=Pairing Service', 'OU=Applications', 'L=Berlin', 'ST=Berlin', 'C=DE', `CN=${pairing.systemAuthId}`]);

    expect((await systemAuths.get(pairing.systemAuthId))?.status).toBe('ACTIVE');
    const records = await certificates.listOf(pairing.systemAuthId);
    expect(records).toEqual([
      {
        systemAuthId: pairing.systemAuthId,
        tenant: pairing.tenant,
        appId: pairing.appId,
        serialNumber: leaf.serialNumber.toLowerCase(),
        sha256Fingerprint: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
        subject: `O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=${pairing.systemAuthId}`,
        notBefore: new Date(leaf.validFrom).toISOString(),
        notAfter: new Date(leaf.validTo).toISOString(),
        revoked: false,
        caId: authority.id,
      },
    ]);
  });

  test('configuration names the current CA (caId, caCertificate) and the answer names the CA that signed', async () => {
    const pairing = await pendingPairing();
    const configured = await callConnector('query { result: configuration { token { token } certificateSigningRequestInfo { caId caCertificate } } }', {}, pairing.token);
    expect(configured.status).toBe(200);
    const authority = await certificateAuthority.load();
    const info = configured.json.data.result.certificateSigningRequestInfo;
    expect(info.caId).toBe(authority.id);
    expect(new X509Certificate(pemOf(info.caCertificate)).toString()).toBe(new X509Certificate(authority.certificatePem).toString());
    const signed = await callConnector(
      'mutation($csr: String!) { result: signCertificateSigningRequest(csr: $csr) { caId caCertificate clientCertificate } }',
      { csr: csrFor(pairing.systemAuthId) },
      configured.json.data.result.token.token,
    );
    expect(signed.status).toBe(200);
    expect(signed.json.data.result.caId).toBe(authority.id);
    expect(pemOf(signed.json.data.result.caCertificate)).toBe(pemOf(info.caCertificate));
  });

  test('accepts an EC P-256 CSR and plain PEM input', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const response = await callConnector(SIGN, { csr: pemOf(csrFor(pairing.systemAuthId, 'ec')) }, token);
    expect(response.status).toBe(200);
    const leaf = new X509Certificate(pemOf(response.json.data.result.clientCertificate));
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  test('a request with aliased signing fields is refused before anything is signed, and the token stays usable', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const aliases = Array.from({ length: 50 }, (_, i) => `s${i}: signCertificateSigningRequest(csr: $csr) { clientCertificate }`).join(' ');
    const refused = await callConnector(`mutation($csr: String!) { ${aliases} }`, { csr: csrFor(pairing.systemAuthId) }, token);
    expect(refused.status).toBe(400);
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.json.errors?.[0]?.message).toMatch(/at most 1 field, this one has 50/);
    expect(await certificates.listOf(pairing.systemAuthId)).toEqual([]);
    expect(await oneTimeTokens.find(hashOneTimeToken(token))).not.toHaveProperty('redeemedAt');

    const single = await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, token);
    expect(single.status).toBe(200);
    expect(await certificates.listOf(pairing.systemAuthId)).toHaveLength(1);
  });

  test('a bad CSR is BAD_USER_INPUT naming the rule, and the token stays usable', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const wrongCn = await callConnector(SIGN, { csr: csrFor('somebody-else') }, token);
    expect(wrongCn.status).toBe(200);
    expect(codeOf(wrongCn)).toBe('BAD_USER_INPUT');
    expect(wrongCn.json.errors?.[0]?.message).toMatch(/CN/);
    const garbage = await callConnector(SIGN, { csr: 'bm90IGEgY3Ny' }, token);
    expect(codeOf(garbage)).toBe('BAD_USER_INPUT');

    expect(await oneTimeTokens.find(hashOneTimeToken(token))).not.toHaveProperty('redeemedAt');
    expect((await systemAuths.get(pairing.systemAuthId))?.status).toBe('PENDING');
    const good = await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, token);
    expect(good.status).toBe(200);
    expect(good.json.data.result.clientCertificate).toEqual(expect.any(String));
  });

  test('a weak RSA key (exponent 3, exponent 1, a factor 3) is BAD_USER_INPUT naming the rule, and the token stays unspent', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const weak: Array<[Buffer, string]> = [
      [goodCsrDer(rsaKeyPair(2048, 3), pairing.systemAuthId), 'the RSA public exponent must be 65537, got 3'],
      [rawRsaCsrDer(exponentOneKey(), pairing.systemAuthId), 'the RSA public exponent must be 65537, got 1'],
      [rawRsaCsrDer(rsaKeyOfPrimes([3n, rsaPrime(2047)]), pairing.systemAuthId), 'the RSA modulus must have no prime factor below 752, it is divisible by 3'],
    ];
    for (const [der, rule] of weak) {
      const refused = await callConnector(SIGN, { csr: base64Pem(der) }, token);
      expect(refused.status).toBe(200);
      expect(codeOf(refused)).toBe('BAD_USER_INPUT');
      expect(refused.json.errors?.[0]?.message).toBe(`Invalid CSR: ${rule}`);
    }

    const stored = await oneTimeTokens.find(hashOneTimeToken(token));
    expect(stored).toBeDefined();
    expect(stored).not.toHaveProperty('redeemedAt');
    expect((await systemAuths.get(pairing.systemAuthId))?.status).toBe('PENDING');
    expect(await certificates.listOf(pairing.systemAuthId)).toEqual([]);
    const good = await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, token);
    expect(good.status).toBe(200);
    expect(good.json.data.result.clientCertificate).toEqual(expect.any(String));
  });

  test('the same CSR sent again with the spent token returns the same certificate', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const csr = csrFor(pairing.systemAuthId);
    const first = await callConnector(SIGN, { csr }, token);
    const retry = await callConnector(SIGN, { csr }, token);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.json.data.result).toEqual(first.json.data.result);
    expect(await certificates.listOf(pairing.systemAuthId)).toHaveLength(1);
  });

  test('the spent token keeps its certificate as DER alone, no PEM, and the retry is answered from it', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const csr = csrFor(pairing.systemAuthId);
    const first = await callConnector(SIGN, { csr }, token);
    expect(first.status).toBe(200);
    const { Item: item } = await aws.dynamo.send(new GetCommand({ TableName: config().tokensTable, Key: { tokenHash: hashOneTimeToken(token) }, ConsistentRead: true }));
    const leaf = new X509Certificate(pemOf(first.json.data.result.clientCertificate));
    expect(Object.keys(item!.certificate).sort()).toEqual(['caId', 'clientCertificateDer', 'sha256Fingerprint']);
    expect(Buffer.from(item!.certificate.clientCertificateDer).equals(leaf.raw)).toBe(true);
    expect(JSON.stringify(item)).not.toContain('BEGIN CERTIFICATE');
    const retry = await callConnector(SIGN, { csr }, token);
    expect(retry.json.data.result).toEqual(first.json.data.result);
  });

  test('a token spent with both PEMs stored (the earlier form) still answers the same CSR with the same certificate', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const csr = csrFor(pairing.systemAuthId);
    const first = await callConnector(SIGN, { csr }, token);
    const result = first.json.data.result;
    await aws.dynamo.send(
      new UpdateCommand({
        TableName: config().tokensTable,
        Key: { tokenHash: hashOneTimeToken(token) },
        UpdateExpression: 'SET certificate = :certificate',
        ExpressionAttributeValues: {
          ':certificate': {
            clientCertificatePem: pemOf(result.clientCertificate), caCertificatePem: pemOf(result.caCertificate),
            sha256Fingerprint: new X509Certificate(pemOf(result.clientCertificate)).fingerprint256.replace(/:/g, '').toLowerCase(), caId: result.caId,
          },
        },
      }),
    );
    const retry = await callConnector(SIGN, { csr }, token);
    expect(retry.json.data.result).toEqual(result);
  });

  test('after the certificate is revoked, the same CSR with the spent token is 401 and changes nothing', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const csr = csrFor(pairing.systemAuthId);
    const first = await callConnector(SIGN, { csr }, token);
    expect(first.status).toBe(200);
    const fingerprint = new X509Certificate(pemOf(first.json.data.result.clientCertificate)).fingerprint256.replace(/:/g, '').toLowerCase();
    // What revokeCertificate over mTLS does to the calling certificate.
    expect(await certificates.revoke(pairing.systemAuthId, fingerprint)).toBe(true);
    const before = { auth: await systemAuths.get(pairing.systemAuthId), token: await oneTimeTokens.find(hashOneTimeToken(token)) };

    const retry = await callConnector(SIGN, { csr }, token);
    expect(retry.status).toBe(401);
    expect(codeOf(retry)).toBe('UNAUTHENTICATED');
    expect(retry.json.data).toBeUndefined();
    expect(JSON.stringify(retry.json)).not.toContain(first.json.data.result.clientCertificate);

    expect((await certificates.listOf(pairing.systemAuthId)).map((c) => [c.sha256Fingerprint, c.revoked])).toEqual([[fingerprint, true]]);
    expect(await systemAuths.get(pairing.systemAuthId)).toEqual(before.auth);
    expect(await oneTimeTokens.find(hashOneTimeToken(token))).toEqual(before.token);
  });

  test('anything else with the spent CSR token is 401 and issues nothing: another CSR, a bad CSR, configuration, revokeCertificate', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    expect((await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, token)).status).toBe(200);

    const otherCsr = await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId, 'ec') }, token);
    expect(otherCsr.status).toBe(401);
    expect(codeOf(otherCsr)).toBe('UNAUTHENTICATED');
    expect((await callConnector(SIGN, { csr: 'garbage' }, token)).status).toBe(401);
    expect((await callConnector(CONFIGURATION, {}, token)).status).toBe(401);
    expect((await callConnector('mutation { revokeCertificate }', {}, token)).status).toBe(401);
    expect(await certificates.listOf(pairing.systemAuthId)).toHaveLength(1);
  });

  test('parallel requests with one token: the same CSR all get the one certificate, different CSRs all but one get 401', async () => {
    const same = await pendingPairing();
    const sameToken = await csrToken(same);
    const csr = csrFor(same.systemAuthId);
    const sameResults = await Promise.all(Array.from({ length: 6 }, () => callConnector(SIGN, { csr }, sameToken)));
    expect(sameResults.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(sameResults.map((r) => r.json.data.result.clientCertificate)).size).toBe(1);

    const different = await pendingPairing();
    const differentToken = await csrToken(different);
    const differentResults = await Promise.all(
      Array.from({ length: 6 }, () => callConnector(SIGN, { csr: csrFor(different.systemAuthId, 'ec') }, differentToken)),
    );
    expect(differentResults.filter((r) => r.status === 200)).toHaveLength(1);
    expect(differentResults.filter((r) => r.status === 401)).toHaveLength(5);
    expect(await certificates.listOf(different.systemAuthId)).toHaveLength(1);
  });

  test('a token of the wrong purpose is FORBIDDEN and stays usable', async () => {
    const pairing = await pendingPairing();
    const signWithConfigurationToken = await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, pairing.token);
    expect(signWithConfigurationToken.status).toBe(200);
    expect(codeOf(signWithConfigurationToken)).toBe('FORBIDDEN');
    const token = await csrToken(pairing);
    const configurationWithCsrToken = await callConnector(CONFIGURATION, {}, token);
    expect(codeOf(configurationWithCsrToken)).toBe('FORBIDDEN');
    expect((await callConnector(SIGN, { csr: csrFor(pairing.systemAuthId) }, token)).status).toBe(200);
  });

  test('revokeCertificate with a live one-time token is FORBIDDEN', async () => {
    const pairing = await pendingPairing();
    const response = await callConnector('mutation { revokeCertificate }', {}, pairing.token);
    expect(response.status).toBe(200);
    expect(codeOf(response)).toBe('FORBIDDEN');
  });
});

describe('revoking a CLIENT_CERTIFICATE SystemAuth', () => {
  test('revokes its certificates, deletes its tokens (spent ones too) and the SystemAuth', async () => {
    const pairing = await pendingPairing();
    const token = await csrToken(pairing);
    const csr = csrFor(pairing.systemAuthId);
    expect((await callConnector(SIGN, { csr }, token)).status).toBe(200);
    const auth = await systemAuths.get(pairing.systemAuthId);

    await adapter.revoke(auth!);

    expect(await systemAuths.get(pairing.systemAuthId)).toBeUndefined();
    expect((await certificates.listOf(pairing.systemAuthId)).map((c) => c.revoked)).toEqual([true]);
    expect(await oneTimeTokens.find(hashOneTimeToken(token))).toBeUndefined();
    expect((await callConnector(SIGN, { csr }, token)).status).toBe(401);
    // Safe to call again.
    await adapter.revoke(auth!);
  });

  test('an unredeemed token of a revoked SystemAuth is refused', async () => {
    const pairing = await pendingPairing();
    await adapter.revoke((await systemAuths.get(pairing.systemAuthId))!);
    expect((await callConnector(CONFIGURATION, {}, pairing.token)).status).toBe(401);
  });
});
