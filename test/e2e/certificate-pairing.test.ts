// End to end over HTTP against `npm start`: certificate pairing with the real openssl CLI (RSA and EC P-256), verified with `openssl verify`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { opensslSubject, postJson } from '../support/clients';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, type LocalStack } from '../support/local-stack';

// Each step runs real processes (curl, openssl, the stack's functions): bounded generously, a loaded machine is slow.
jest.setTimeout(120_000);

/** The openssl CLI in a scratch directory. */
const openssl = (cwd: string, ...args: string[]): string => execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const CONFIGURATION = '{ configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }';
const SIGN = 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { certificateChain caCertificate clientCertificate } }';
const fromBase64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

describe('certificate pairing over HTTP (npm start) with the openssl CLI', () => {
  let stack: LocalStack | undefined;
  let work: string;
  let adminToken: string;
  const director = (query: string, variables: Record<string, unknown> = {}) =>
    postJson(`${stack!.baseUrl}/director/graphql`, { Authorization: `Bearer ${adminToken}` }, { query, variables });

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'certificate-e2e-openssl-'));
    stack = await startLocalStack({ name: 'certificate-e2e' });
    adminToken = await adminAccessToken(stack);
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const registerApplication = async (name: string): Promise<string> => {
    const registered = await director('mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name });
    expect(registered.errors).toBeUndefined();
    return registered.data.registerApplication.id;
  };

  test('RSA-2048: generateAuthForApplication -> configuration -> openssl req -> signCertificateSigningRequest -> openssl verify OK', async () => {
    const appId = await registerApplication('e2e-certificate-rsa');
    const paired = await director(
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { type systemAuthID params expiresAt } }',
      { id: appId },
    );
    expect(paired.errors).toBeUndefined();
    const { systemAuthID, params, expiresAt } = paired.data.generateAuthForApplication;
    expect(params.connectorURL).toBe(`${stack!.baseUrl}/connector/graphql`);
    expect(params.expiresAt).toBe(expiresAt);
    expect(JSON.parse(fromBase64(params.rawEncoded))).toEqual({ token: params.token, connectorURL: params.connectorURL, expiresAt });

    const configuration = await postJson(params.connectorURL, { 'Connector-Token': params.token }, { query: CONFIGURATION });
    expect(configuration.status).toBe(200);
    const info = configuration.data.configuration;
    expect(info.certificateSigningRequestInfo).toEqual({
      subject: `O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=${systemAuthID}`,
      keyAlgorithm: 'rsa2048',
    });
    expect(info.managementPlaneInfo).toEqual({
      directorURL: `${stack!.mtlsUrl}/director/graphql`,
      certificateSecuredConnectorURL: `${stack!.mtlsUrl}/connector/graphql`,
    });

    openssl(work, 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key', '-subj', opensslSubject(info.certificateSigningRequestInfo.subject), '-out', 'rsa.csr');
    const csr = fs.readFileSync(path.join(work, 'rsa.csr')).toString('base64');
    const signed = await postJson(params.connectorURL, { 'Connector-Token': info.token.token }, { query: SIGN, variables: { csr } });
    expect(signed.status).toBe(200);
    const result = signed.data.signCertificateSigningRequest;
    fs.writeFileSync(path.join(work, 'rsa.pem'), fromBase64(result.clientCertificate));
    fs.writeFileSync(path.join(work, 'ca.pem'), fromBase64(result.caCertificate));
    expect(fromBase64(result.certificateChain)).toBe(fromBase64(result.clientCertificate) + fromBase64(result.caCertificate));

    expect(openssl(work, 'verify', '-CAfile', 'ca.pem', 'rsa.pem').trim()).toBe('rsa.pem: OK');
    const text = openssl(work, 'x509', '-in', 'rsa.pem', '-noout', '-text');
    expect(text).toMatch(/CA:FALSE/);
    expect(text).toMatch(/Digital Signature, Key Encipherment/);
    expect(text).toMatch(/TLS Web Client Authentication/);
    // The certificate belongs to the key openssl made.
    expect(openssl(work, 'x509', '-in', 'rsa.pem', '-noout', '-pubkey')).toBe(openssl(work, 'pkey', '-in', 'rsa.key', '-pubout'));

    // A lost response costs nothing: the same CSR again gets the same certificate; anything else is 401.
    const retry = await postJson(params.connectorURL, { 'Connector-Token': info.token.token }, { query: SIGN, variables: { csr } });
    expect(retry.data.signCertificateSigningRequest).toEqual(result);
    const reuse = await postJson(params.connectorURL, { 'Connector-Token': params.token }, { query: CONFIGURATION });
    expect(reuse.status).toBe(401);
    expect(reuse.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');

    const listed = await director('query($id: ID!) { application(id: $id) { status { condition } auths { id status certificates { sha256Fingerprint revoked } } } }', { id: appId });
    const fingerprint = openssl(work, 'x509', '-in', 'rsa.pem', '-noout', '-fingerprint', '-sha256').trim().split('=')[1]!.replace(/:/g, '').toLowerCase();
    expect(listed.data.application).toEqual({
      status: { condition: 'INITIAL' },
      auths: [{ id: systemAuthID, status: 'ACTIVE', certificates: [{ sha256Fingerprint: fingerprint, revoked: false }] }],
    });
  });

  test('EC P-256 through requestOneTimeTokenForApplication and the ?token= parameter', async () => {
    const appId = await registerApplication('e2e-certificate-ec');
    const requested = await director('mutation($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token connectorURL used expiresAt createdAt rawEncoded } }', { id: appId });
    expect(requested.errors).toBeUndefined();
    const oneTime = requested.data.requestOneTimeTokenForApplication;
    expect(oneTime.used).toBe(false);
    expect(JSON.parse(fromBase64(oneTime.rawEncoded))).toEqual({ token: oneTime.token, connectorURL: oneTime.connectorURL, expiresAt: oneTime.expiresAt });

    const configuration = await postJson(`${oneTime.connectorURL}?token=${oneTime.token}`, {}, { query: CONFIGURATION });
    expect(configuration.status).toBe(200);
    const info = configuration.data.configuration;
    openssl(work, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key');
    openssl(work, 'req', '-new', '-key', 'ec.key', '-subj', opensslSubject(info.certificateSigningRequestInfo.subject), '-out', 'ec.csr');
    const csr = fs.readFileSync(path.join(work, 'ec.csr')).toString('base64');
    const signed = await postJson(`${oneTime.connectorURL}?token=${info.token.token}`, {}, { query: SIGN, variables: { csr } });
    expect(signed.status).toBe(200);
    fs.writeFileSync(path.join(work, 'ec.pem'), fromBase64(signed.data.signCertificateSigningRequest.clientCertificate));
    fs.writeFileSync(path.join(work, 'ca-ec.pem'), fromBase64(signed.data.signCertificateSigningRequest.caCertificate));
    expect(openssl(work, 'verify', '-CAfile', 'ca-ec.pem', 'ec.pem').trim()).toBe('ec.pem: OK');
    expect(openssl(work, 'x509', '-in', 'ec.pem', '-noout', '-text')).toMatch(/prime256v1|P-256/);
  });

  test('a CSR with the wrong subject is BAD_USER_INPUT and the token stays usable', async () => {
    const appId = await registerApplication('e2e-certificate-bad-csr');
    const paired = await director('mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { systemAuthID params } }', { id: appId });
    const { params } = paired.data.generateAuthForApplication;
    const info = (await postJson(params.connectorURL, { 'Connector-Token': params.token }, { query: CONFIGURATION })).data.configuration;
    openssl(work, 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'bad.key', '-subj', '/O=Somebody/CN=not-the-system-auth', '-out', 'bad.csr');
    const bad = await postJson(params.connectorURL, { 'Connector-Token': info.token.token }, { query: SIGN, variables: { csr: fs.readFileSync(path.join(work, 'bad.csr')).toString('base64') } });
    expect(bad.status).toBe(200);
    expect(bad.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/^Invalid CSR: /);

    openssl(work, 'req', '-new', '-key', 'bad.key', '-subj', opensslSubject(info.certificateSigningRequestInfo.subject), '-out', 'good.csr');
    const good = await postJson(params.connectorURL, { 'Connector-Token': info.token.token }, { query: SIGN, variables: { csr: fs.readFileSync(path.join(work, 'good.csr'), 'utf8') } });
    expect(good.status).toBe(200);
    expect(good.data.signCertificateSigningRequest.clientCertificate).toEqual(expect.any(String));
  });
});
