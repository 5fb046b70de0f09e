// End to end against `npm start` with the admin CLI, curl and openssl: the CA key lives in KMS (no private key in any
// secret or item), rotate-ca keeps old-CA certificates working over mTLS, renewals get the new CA, the local truststore
// holds both, and retire-ca refuses while an old certificate is live and succeeds once it is revoked.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postJson } from '../support/clients';
import { base64, fromBase64, stackShell } from '../support/stack-shell';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, storedState, type LocalStack } from '../support/local-stack';

jest.setTimeout(180_000);

let stack: LocalStack;
let work: string;
let adminToken: string;

interface Credential {
  certFile: string;
  keyFile: string;
}

/** What private key material looks like in PEM, JWK (JSON) or a DynamoDB item. */
const PRIVATE_KEY_MATERIAL = /PRIVATE KEY|"(d|p|q|dp|dq|qi)"\s*:/;

const { openssl, scratch, run, newCsr } = stackShell(() => ({ stack, work }));

const admin = (...args: string[]) => run('npm', ['run', '--silent', 'admin', '--', ...args]);

/** curl through the mTLS endpoint with a client certificate. */
async function curlMtls(pathname: string, credential: Credential, body: unknown) {
  const out = await run('curl', ['-sS', '--max-time', '60', '--cacert', stack.serverCaFile, '--cert', credential.certFile, '--key', credential.keyFile, '-H', 'content-type: application/json', '-w', '\n%{http_code}', '--data-binary', JSON.stringify(body), `${stack.mtlsUrl}${pathname}`]);
  const lines = out.stdout.split('\n');
  const status = Number(lines.pop());
  let json: { data?: any; errors?: Array<{ extensions: { code: string } }> } = {};
  try {
    json = JSON.parse(lines.join('\n'));
  } catch {
    // no HTTP answer
  }
  return { ...json, status, exitCode: out.code };
}

const CONFIGURATION = { query: '{ configuration { token { token } certificateSigningRequestInfo { subject caId caCertificate } } }' };
const SIGN = 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { caId caCertificate clientCertificate certificateChain } }';
const VIEWER = { query: '{ viewer { id type } }' };

interface Paired extends Credential {
  appId: string;
  subject: string;
  caId: string;
  caFile: string;
}

async function pair(name: string): Promise<Paired> {
  const director = (query: string, variables: Record<string, unknown>) =>
    postJson(`${stack.baseUrl}/director/graphql`, { Authorization: `Bearer ${adminToken}` }, { query, variables });
  const registered = await director('mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name });
  const appId = registered.data.registerApplication.id as string;
  const paired = await director('mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { params } }', { id: appId });
  const configured = await postJson(`${stack.baseUrl}/connector/graphql`, { 'Connector-Token': paired.data.generateAuthForApplication.params.token }, CONFIGURATION);
  const { subject } = configured.data.configuration.certificateSigningRequestInfo;
  const { keyFile, csrPem } = newCsr(subject);
  const signed = await postJson(`${stack.baseUrl}/connector/graphql`, { 'Connector-Token': configured.data.configuration.token.token }, { query: SIGN, variables: { csr: base64(csrPem) } });
  const result = signed.data.signCertificateSigningRequest;
  const certFile = scratch('.pem');
  const caFile = scratch('-ca.pem');
  fs.writeFileSync(certFile, fromBase64(result.clientCertificate));
  fs.writeFileSync(caFile, fromBase64(result.caCertificate));
  return { appId, subject, certFile, keyFile, caId: result.caId, caFile };
}

const truststoreFile = () => path.join(stack.stateDir, 'truststore.pem');
const certificatesIn = (file: string) => fs.readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;

async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-rotation-e2e-'));
  stack = await startLocalStack({ name: 'ca-rotation-e2e' });
  adminToken = await adminAccessToken(stack);
}, START_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await stack?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('no Secrets Manager secret and no DynamoDB item holds a private key; the CA registry names a KMS key', async () => {
  await pair('e2e-ca-scan');
  const { secrets, tables } = await storedState(stack);
  const names = secrets.map((secret) => secret.name);
  expect(names.some((name) => name.endsWith('/pairing-ca-registry'))).toBe(true);
  expect(names.some((name) => name.endsWith('/pairing-ca'))).toBe(false);
  const holdingKeys: string[] = [];
  for (const { name, value } of secrets) {
    if (PRIVATE_KEY_MATERIAL.test(value)) holdingKeys.push(name.split('/').pop()!);
    if (name.endsWith('/pairing-ca-registry')) expect(JSON.parse(value).cas[0].keyArn).toMatch(/^arn:aws:kms:/);
  }
  // No private key of the service in any secret: the CA and token-signing keys are in KMS.
  expect(holdingKeys).toEqual([]);

  let items = 0;
  for (const { items: stored } of tables) {
    for (const item of stored) {
      items++;
      expect(JSON.stringify(item)).not.toMatch(PRIVATE_KEY_MATERIAL);
    }
  }
  expect(items).toBeGreaterThan(0);
});

test('rotate-ca: old-CA certificates keep working, renewals get the new CA, the truststore holds both; retire-ca waits for the old ones', async () => {
  const old = await pair('e2e-ca-old');
  expect(old.caId).toBe('ca-1');
  expect(openssl('verify', '-CAfile', old.caFile, old.certFile)).toMatch(/: OK/);
  expect(certificatesIn(truststoreFile())).toBe(1);

  const rotated = await admin('rotate-ca');
  expect(rotated.code).toBe(0);
  const rotation = JSON.parse(rotated.stdout) as { previousCaId: string; currentCaId: string; keyArn: string; trustedCaIds: string[] };
  expect(rotation).toMatchObject({ previousCaId: 'ca-1', currentCaId: 'ca-2', trustedCaIds: ['ca-2', 'ca-1'] });
  expect(rotation.keyArn).toMatch(/^arn:aws:kms:/);

  // The local mTLS endpoint follows the registry without a restart; its truststore file shows what it trusts.
  await eventually('the local truststore holding both CAs', () => certificatesIn(truststoreFile()) === 2);
  // The old certificate still works over mTLS.
  expect(await curlMtls('/director/graphql', old, VIEWER)).toMatchObject({ status: 200, data: { viewer: { id: old.appId, type: 'APPLICATION' } } });
  // The Connector names the new CA as current once its cached registry is re-read (at most 10 s).
  await eventually('configuration naming ca-2', async () => (await curlMtls('/connector/graphql', old, CONFIGURATION)).data?.configuration.certificateSigningRequestInfo.caId === 'ca-2');

  // Renewal presented with the old-CA certificate returns a certificate of the new CA, and names it.
  const { keyFile, csrPem } = newCsr(old.subject);
  const renewed = await curlMtls('/connector/graphql', old, { query: SIGN, variables: { csr: base64(csrPem) } });
  expect(renewed.status).toBe(200);
  const result = renewed.data.signCertificateSigningRequest;
  expect(result.caId).toBe('ca-2');
  const renewedCredential = { certFile: scratch('.pem'), keyFile };
  const newCaFile = scratch('-ca2.pem');
  fs.writeFileSync(renewedCredential.certFile, fromBase64(result.clientCertificate));
  fs.writeFileSync(newCaFile, fromBase64(result.caCertificate));
  expect(fromBase64(result.certificateChain)).toBe(fromBase64(result.clientCertificate) + fromBase64(result.caCertificate));
  expect(openssl('verify', '-CAfile', newCaFile, renewedCredential.certFile)).toMatch(/: OK/);
  expect(() => openssl('verify', '-CAfile', old.caFile, renewedCredential.certFile)).toThrow();
  // The truststore file verifies both generations.
  expect(openssl('verify', '-CAfile', truststoreFile(), old.certFile, renewedCredential.certFile)).toMatch(/: OK\n.*: OK/);
  expect(new X509Certificate(fs.readFileSync(newCaFile)).subject).toContain('Pairing Service CA ca-2');
  expect(await curlMtls('/director/graphql', renewedCredential, VIEWER)).toMatchObject({ status: 200, data: { viewer: { id: old.appId } } });

  // ca-1 still has a live certificate: retire-ca refuses, naming it; the current CA is never retired.
  const refused = await admin('retire-ca', '--id', 'ca-1');
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).toMatch(/retire-ca: CA ca-1 still has [1-9][0-9]* unexpired, unrevoked certificate/);
  expect((await admin('retire-ca', '--id', 'ca-2')).stderr).toMatch(/ca-2 is the current CA/);
  expect((await admin('retire-ca', '--id', 'nope')).stderr).toMatch(/--id "nope" is not a CA id/);

  // The renewed certificate retires its predecessor (the last live ca-1 certificate here; the scan test's one is revoked below).
  expect(await curlMtls('/connector/graphql', renewedCredential, { query: 'mutation { retirePreviousCertificate }' })).toMatchObject({ status: 200 });
  const listedCas = await admin('list-cas');
  expect(JSON.parse(listedCas.stdout).cas.map((ca: { id: string; status: string }) => `${ca.id}:${ca.status}`)).toEqual(['ca-1:previous', 'ca-2:current']);
});

test('retire-ca succeeds once no live certificate of the old CA remains; the truststore then holds the new CA only', async () => {
  // The scan test's application still holds a live ca-1 certificate: revoke it through the Director.
  const director = (query: string, variables: Record<string, unknown> = {}) =>
    postJson(`${stack.baseUrl}/director/graphql`, { Authorization: `Bearer ${adminToken}` }, { query, variables });
  const listed = await director('{ applications { data { id name } } }');
  for (const app of listed.data.applications.data as Array<{ id: string; name: string }>) {
    if (app.name === 'e2e-ca-scan') expect((await director('mutation($id: ID!) { unpairApplication(id: $id) { id } }', { id: app.id })).errors).toBeUndefined();
  }
  const retired = await admin('retire-ca', '--id', 'ca-1');
  expect(retired.stderr).toBe('');
  expect(retired.code).toBe(0);
  expect(JSON.parse(retired.stdout)).toMatchObject({ caId: 'ca-1', forced: false, liveCertificates: 0, trustedCaIds: ['ca-2'] });
  await eventually('the local truststore holding ca-2 only', () => certificatesIn(truststoreFile()) === 1);
  expect((await admin('retire-ca', '--id', 'ca-1')).stderr).toMatch(/already retired/);
});
