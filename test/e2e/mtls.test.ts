// End to end against `npm start` with the real curl (--cert/--key/--cacert) and openssl: the mTLS endpoint,
// renewal, revocation, and every certificate that must be refused (self-signed, none, expired, spoofed headers).
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CA_SIGNING_ALGORITHM, CertificateAuthority } from '../../shared/certificates/ca';
import { currentCa, parseRegistry } from '../../shared/certificates/ca-registry';
import { sha256WithRsa } from '../../shared/certificates/x509';
import { validateCsr } from '../../shared/certificates/csr';
import { announcedSubject } from '../../shared/certificates/subject';
import { opensslSubject, postJson, type GraphQLAnswer } from '../support/clients';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, type LocalStack } from '../support/local-stack';
import { config } from '../../shared/config';

// Each step runs real processes (curl, openssl, the stack's functions): bounded generously, a loaded machine is slow.
jest.setTimeout(120_000);

interface CurlAnswer extends GraphQLAnswer {
  /** curl's exit code: 0, or e.g. 56/35 when the server refused the TLS handshake. */
  exitCode: number;
  stderr: string;
}

/** The certificate (file.pem) and key (file.key) an application holds. */
interface Credential {
  certFile: string;
  keyFile: string;
}

let stack: LocalStack;
let work: string;

/** The real curl against the mTLS endpoint: `curl --cacert <server CA> --cert <cert> --key <key> -d <json> <url>`. */
function curlMtls(pathname: string, credential: Credential | undefined, body: unknown, cacert = stack.serverCaFile): Promise<CurlAnswer> {
  const args = ['-sS', '--max-time', '60', '--cacert', cacert, '-H', 'content-type: application/json', '-w', '\n%{http_code}'];
  if (credential) args.push('--cert', credential.certFile, '--key', credential.keyFile);
  args.push('--data-binary', JSON.stringify(body), `${stack.mtlsUrl}${pathname}`);
  return new Promise((resolve) => {
    execFile('curl', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      const lines = stdout.split('\n');
      const status = Number(lines.pop());
      let json: Omit<GraphQLAnswer, 'status'> = {};
      try {
        json = JSON.parse(lines.join('\n'));
      } catch {
        // no HTTP answer (handshake refused) or not JSON
      }
      resolve({ ...json, status, exitCode: typeof code === 'number' ? code : -1, stderr });
    });
  });
}

const openssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let fileCount = 0;
const scratch = (suffix: string) => path.join(work, `f${++fileCount}${suffix}`);

/** A new RSA key and a CSR for `subject`, made by `openssl req`. */
function newCsr(subject: string): { keyFile: string; csrPem: string } {
  const keyFile = scratch('.key');
  const csrFile = scratch('.csr');
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', opensslSubject(subject), '-out', csrFile);
  return { keyFile, csrPem: fs.readFileSync(csrFile, 'utf8') };
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const fromBase64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

const VIEWER = { query: '{ viewer { id type } }' };
const CONFIGURATION = { query: '{ configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }' };
const SIGN = 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { certificateChain caCertificate clientCertificate } }';
const REVOKE = { query: 'mutation { revokeCertificate }' };
const RETIRE = { query: 'mutation { retirePreviousCertificate }' };

interface PairedApplication extends Credential {
  appId: string;
  systemAuthId: string;
  subject: string;
  caFile: string;
}

describe('the mTLS endpoint of npm start, with curl and openssl', () => {
  let adminToken: string;
  const director = (query: string, variables: Record<string, unknown> = {}) =>
    postJson(`${stack.baseUrl}/director/graphql`, { Authorization: `Bearer ${adminToken}` }, { query, variables });

  /** register -> generateAuthForApplication(CLIENT_CERTIFICATE) -> configuration -> openssl req -> signCertificateSigningRequest. */
  async function pairWithCertificate(name: string): Promise<PairedApplication> {
    const registered = await director('mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name });
    const appId = registered.data.registerApplication.id as string;
    const paired = await director(
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { systemAuthID params } }',
      { id: appId },
    );
    const { systemAuthID, params } = paired.data.generateAuthForApplication;
    const configured = await postJson(`${stack.baseUrl}/connector/graphql`, { 'Connector-Token': params.token }, CONFIGURATION);
    const { subject } = configured.data.configuration.certificateSigningRequestInfo;
    const { keyFile, csrPem } = newCsr(subject);
    const signed = await postJson(`${stack.baseUrl}/connector/graphql`, { 'Connector-Token': configured.data.configuration.token.token }, { query: SIGN, variables: { csr: base64(csrPem) } });
    const certFile = scratch('.pem');
    const caFile = scratch('-ca.pem');
    fs.writeFileSync(certFile, fromBase64(signed.data.signCertificateSigningRequest.clientCertificate));
    fs.writeFileSync(caFile, fromBase64(signed.data.signCertificateSigningRequest.caCertificate));
    return { appId, systemAuthId: systemAuthID, subject, certFile, keyFile, caFile };
  }

  /** Renewal over mTLS: a new key and CSR of the same subject, signed with `current` as the credential. */
  async function renew(current: PairedApplication): Promise<Credential> {
    const { keyFile, csrPem } = newCsr(current.subject);
    const renewed = await curlMtls('/connector/graphql', current, { query: SIGN, variables: { csr: base64(csrPem) } });
    expect(renewed.status).toBe(200);
    expect(renewed.errors).toBeUndefined();
    const certFile = scratch('.pem');
    fs.writeFileSync(certFile, fromBase64(renewed.data.signCertificateSigningRequest.clientCertificate));
    return { certFile, keyFile };
  }

  const certificatesOf = async (appId: string) => {
    const answer = await director('query($id: ID!) { application(id: $id) { status { condition } auths { id certificates { sha256Fingerprint revoked } } } }', { id: appId });
    return answer.data.application;
  };
  const fingerprintOf = (certFile: string) => new X509Certificate(fs.readFileSync(certFile)).fingerprint256.replace(/:/g, '').toLowerCase();

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-e2e-openssl-'));
    stack = await startLocalStack({ name: 'mtls-e2e' });
    adminToken = await adminAccessToken(stack);
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    // Unset when start-up failed.
    await stack?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the stack keeps its mTLS server CA in its own state dir, and curl trusts the endpoint with it only', async () => {
    expect(fs.readFileSync(stack.serverCaFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect((fs.statSync(path.join(stack.stateDir, 'mtls-server-ca-key.pem')).mode & 0o777).toString(8)).toBe('600');
    expect(stack.stackFile.endpoints.mtlsBaseUrl).toBe(stack.mtlsUrl);
    const app = await pairWithCertificate('e2e-mtls-ca');
    // Another state dir's CA (a throwaway one here) does not vouch for this endpoint: curl error 60.
    const otherCa = scratch('-other-ca.pem');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', scratch('.key'), '-out', otherCa, '-subj', '/CN=other state dir', '-days', '1');
    expect((await curlMtls('/director/graphql', app, VIEWER, otherCa)).exitCode).toBe(60);
    expect((await curlMtls('/director/graphql', app, VIEWER)).exitCode).toBe(0);
  });

  test('the Director over mTLS: viewer is the application, which is CONNECTED from its first mTLS call', async () => {
    const app = await pairWithCertificate('e2e-mtls-viewer');
    expect(openssl('verify', '-CAfile', app.caFile, app.certFile)).toMatch(/: OK/);
    expect((await certificatesOf(app.appId)).status.condition).toBe('INITIAL');
    const viewer = await curlMtls('/director/graphql', app, VIEWER);
    expect(viewer).toMatchObject({ exitCode: 0, status: 200, data: { viewer: { id: app.appId, type: 'APPLICATION' } } });
    expect((await certificatesOf(app.appId)).status.condition).toBe('CONNECTED');
    const own = await curlMtls('/director/graphql', app, { query: 'query($id: ID!) { application(id: $id) { id } }', variables: { id: app.appId } });
    expect(own.data.application).toEqual({ id: app.appId });
  });

  test('the Connector over mTLS: configuration gives the same CSR info and a null token', async () => {
    const app = await pairWithCertificate('e2e-mtls-configuration');
    const configured = await curlMtls('/connector/graphql', app, CONFIGURATION);
    expect(configured.status).toBe(200);
    expect(configured.data.configuration).toEqual({
      token: null,
      certificateSigningRequestInfo: { subject: app.subject, keyAlgorithm: 'rsa2048' },
      managementPlaneInfo: { directorURL: `${stack.mtlsUrl}/director/graphql`, certificateSecuredConnectorURL: `${stack.mtlsUrl}/connector/graphql` },
    });
  });

  test('renewal: a CSR of the same subject gets a new certificate without a token; another CN is BAD_USER_INPUT', async () => {
    const app = await pairWithCertificate('e2e-mtls-renewal');
    const renewed = await renew(app);
    expect(openssl('verify', '-CAfile', app.caFile, renewed.certFile)).toMatch(/: OK/);
    const [oldCert, newCert] = [app.certFile, renewed.certFile].map((file) => new X509Certificate(fs.readFileSync(file)));
    expect(newCert!.subject).toBe(oldCert!.subject);
    expect(newCert!.serialNumber).not.toBe(oldCert!.serialNumber);
    // The presenting certificate stays valid; the renewed one works as well.
    expect((await curlMtls('/director/graphql', app, VIEWER)).data.viewer.id).toBe(app.appId);
    expect((await curlMtls('/director/graphql', renewed, VIEWER)).data.viewer.id).toBe(app.appId);
    const [auth] = (await certificatesOf(app.appId)).auths;
    expect(auth.id).toBe(app.systemAuthId);
    expect(auth.certificates).toHaveLength(2);

    const otherCn = newCsr(app.subject.replace(/CN=[^,]+$/, 'CN=someone-else'));
    const refused = await curlMtls('/connector/graphql', app, { query: SIGN, variables: { csr: base64(otherCn.csrPem) } });
    expect(refused.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect((await certificatesOf(app.appId)).auths[0].certificates).toHaveLength(2);
  });

  test('rotation: the renewed certificate retires the old one (retirePreviousCertificate), which is refused from then on', async () => {
    const app = await pairWithCertificate('e2e-mtls-rotation');
    const renewed = await renew(app);
    expect(await curlMtls('/connector/graphql', renewed, RETIRE)).toMatchObject({ status: 200, data: { retirePreviousCertificate: true } });

    const director = await curlMtls('/director/graphql', app, VIEWER);
    expect(director.status).toBe(401);
    expect(director.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect((await curlMtls('/connector/graphql', app, CONFIGURATION)).status).toBe(401);
    expect((await curlMtls('/connector/graphql', app, REVOKE)).status).toBe(401);

    expect((await curlMtls('/director/graphql', renewed, VIEWER)).data.viewer.id).toBe(app.appId);
    const certificates = (await certificatesOf(app.appId)).auths[0].certificates as Array<{ sha256Fingerprint: string; revoked: boolean }>;
    expect(certificates.find((c) => c.sha256Fingerprint === fingerprintOf(app.certFile))?.revoked).toBe(true);
    expect(certificates.find((c) => c.sha256Fingerprint === fingerprintOf(renewed.certFile))?.revoked).toBe(false);
  });

  test('revocation: revokeCertificate refuses the calling certificate and everything renewed from it', async () => {
    const app = await pairWithCertificate('e2e-mtls-revocation');
    const renewed = await renew(app);
    expect(await curlMtls('/connector/graphql', app, REVOKE)).toMatchObject({ status: 200, data: { revokeCertificate: true } });
    for (const credential of [app, renewed]) {
      expect((await curlMtls('/director/graphql', credential, VIEWER)).status).toBe(401);
      expect((await curlMtls('/connector/graphql', credential, CONFIGURATION)).status).toBe(401);
    }
  });

  const removals: Array<[string, string, (app: PairedApplication) => Record<string, unknown>]> = [
    ['deleteSystemAuthForApplication', 'mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id } }', (app) => ({ id: app.systemAuthId })],
    ['unpairApplication', 'mutation($id: ID!) { unpairApplication(id: $id) { id } }', (app) => ({ id: app.appId })],
    ['unregisterApplication', 'mutation($id: ID!) { unregisterApplication(id: $id) { id } }', (app) => ({ id: app.appId })],
  ];
  test.each(removals)('%s revokes every certificate of what it removes', async (name, query, variablesOf) => {
    const app = await pairWithCertificate(`e2e-mtls-${name.slice(0, 12).toLowerCase()}`);
    const renewed = await renew(app);
    expect((await curlMtls('/director/graphql', renewed, VIEWER)).status).toBe(200);
    const removed = await director(query, variablesOf(app));
    expect(removed.errors).toBeUndefined();
    for (const credential of [app, renewed]) {
      expect((await curlMtls('/director/graphql', credential, VIEWER)).status).toBe(401);
      expect((await curlMtls('/connector/graphql', credential, CONFIGURATION)).status).toBe(401);
    }
  });

  test('a self-signed certificate with the very same subject is refused at the TLS handshake', async () => {
    const app = await pairWithCertificate('e2e-mtls-self-signed');
    const keyFile = scratch('.key');
    const certFile = scratch('.pem');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', opensslSubject(app.subject), '-days', '30');
    const refused = await curlMtls('/director/graphql', { certFile, keyFile }, VIEWER);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.status).toBe(0); // no HTTP answer at all
  });

  test('a connection without a client certificate is refused at the TLS handshake', async () => {
    for (const pathname of ['/director/graphql', '/connector/graphql']) {
      const refused = await curlMtls(pathname, undefined, VIEWER);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.status).toBe(0);
    }
  });

  test('an expired certificate of the pairing CA is refused', async () => {
    const app = await pairWithCertificate('e2e-mtls-expired');
    // Signed with the stack's own pairing CA (its key in the stack's local KMS), valid for one day ten days ago.
    const client = { region: stack.stackFile.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const secrets = new SecretsManagerClient({ ...client, endpoint: stack.stackFile.endpoints.secretsManager });
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: `pairing-service/${stack.stackFile.stage}/pairing-ca-registry` }));
    secrets.destroy();
    const ca = currentCa(parseRegistry(secret.SecretString!));
    const kms = new KMSClient({ ...client, endpoint: stack.stackFile.endpoints.kms });
    const signer = {
      algorithmIdentifier: sha256WithRsa(),
      sign: async (tbsDer: Buffer) =>
        Buffer.from((await kms.send(new SignCommand({ KeyId: ca.keyArn!, Message: tbsDer, MessageType: 'RAW', SigningAlgorithm: CA_SIGNING_ALGORITHM }))).Signature!),
    };
    const authority = CertificateAuthority.withSigner(ca.id, ca.certificatePem, signer);
    const { keyFile, csrPem } = newCsr(app.subject);
    const expired = await authority.issue(validateCsr(csrPem, announcedSubject(app.systemAuthId, config().csrSubject)), { now: new Date(Date.now() - 10 * 86_400_000), validityDays: 1 });
    const certFile = scratch('.pem');
    kms.destroy();
    fs.writeFileSync(certFile, expired.certificatePem);
    expect(Date.parse(new X509Certificate(expired.certificatePem).validTo)).toBeLessThan(Date.now());
    const refused = await curlMtls('/director/graphql', { certFile, keyFile }, VIEWER);
    expect(refused.status === 401 || (refused.exitCode !== 0 && refused.status === 0)).toBe(true);
    expect(refused.data).toBeUndefined();
  });

  test('spoofed certificate headers on the plain HTTP endpoint are refused with 401', async () => {
    const app = await pairWithCertificate('e2e-mtls-spoofed');
    const pem = fs.readFileSync(app.certFile, 'utf8');
    const spoofed = {
      'X-Client-Cert': encodeURIComponent(pem),
      'Client-Id-From-Certificate': app.systemAuthId,
      'Certificate-Data': base64(pem),
      'X-SSL-Client-Cert': encodeURIComponent(pem),
      'X-Forwarded-Client-Cert': `Hash=${fingerprintOf(app.certFile)};Subject="${app.subject}"`,
    };
    const director = await postJson(`${stack.baseUrl}/director/graphql`, spoofed, VIEWER);
    expect(director.status).toBe(401);
    expect(director.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    const connector = await postJson(`${stack.baseUrl}/connector/graphql`, spoofed, CONFIGURATION);
    expect(connector.status).toBe(401);
    expect((await certificatesOf(app.appId)).status.condition).toBe('INITIAL');
  });

  test('paths the mTLS endpoint does not serve get API Gateway\'s 403, even with a valid certificate', async () => {
    const app = await pairWithCertificate('e2e-mtls-paths');
    // POST /oauth2/token is served there (RFC 8705 tls_client_auth: test/e2e/certificate-bound-tokens.test.ts).
    const answer = await curlMtls('/oauth2/introspect', app, {});
    expect(answer.status).toBe(403);
    expect(answer).toMatchObject({ exitCode: 0, message: 'Missing Authentication Token' });
  });
});
