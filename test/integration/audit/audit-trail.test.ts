// The audit trail end to end against DynamoDB Local + moto: every flow through the real Director, Connector and token
// endpoint compositions (and the admin CLI), then auditEvents event by event; no secret in the table or the logs;
// tenants and applications see nothing of others; an audit write that fails leaves the operation completed and logged.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { directorServices } from '../../../functions/director/handler';
import { clientCertificateData } from '../../../local/api-gateway-event';
import type { StackFile } from '../../../local/stack-file';
import { AuditRepository } from '../../../shared/audit/repository';
import { withAuditRequest } from '../../../shared/audit/request';
import { UNATTRIBUTED_TENANT } from '../../../shared/audit/types';
import { CertificateRefusals } from '../../../shared/certificate-refusals';
import { config } from '../../../shared/config';
import { authenticateOneTimeToken } from '../../../shared/connector/authentication';
import { handleConnectorRequest } from '../../../shared/connector/endpoint';
import { ConnectorService } from '../../../shared/connector/service';
import { directorEndpoint } from '../../../shared/director/endpoint';
import { handleGraphQLRequest } from '../../../shared/graphql/endpoint';
import { captureLogs } from '../../support/captured-logs';
import { freshTenant, localAwsEndpoints, scanAll } from '../../support/local-aws';
import { certificateAuthentication, certificates, inProcessTokenIssuer, oauthClients, oneTimeTokens, systemAuths, certificateAuths, newAuditRecorder, caLifecycle, connectorCa, tokenEndpointAnsweringAtOnce } from '../../support/stores';
import { base64Pem, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { awsError, injectFailure } from '../pairing/aws-failures';
import { basicAuthorization, tokenRequest } from '../oauth/token-requests';
import { aws } from '../../../functions/container';

beforeAll(() => caLifecycle.ensure());

// ---- the service as the handlers compose it, with one audit trail we can flush ----

const audit = newAuditRecorder();
const endpoint = directorEndpoint({ ...directorServices(inProcessTokenIssuer), audit });
const connectorServices = {
  connector: new ConnectorService(oneTimeTokens, certificateAuths, certificates, audit, config, aws.dynamo, connectorCa),
  certificateAuthentication,
  oneTimeTokens,
  audit,
  certificateRefusals: new CertificateRefusals(certificates, audit),
};
// Wrong secrets are answered at once here: the slow-down of repeated failures is pinned elsewhere and would take minutes.
const tokens = tokenEndpointAnsweringAtOnce(audit);

const SOURCE_IP = '203.0.113.7';
const USER_AGENT = 'audit-walk/1.0';

/** An API Gateway (REST) event as API Gateway builds it: request id, source IP and user agent in the request context. */
function gatewayEvent(pathName: string, body: string, headers: Record<string, string>, clientCertPem?: string): APIGatewayProxyEvent {
  return {
    resource: pathName,
    path: pathName,
    httpMethod: 'POST',
    headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', 'User-Agent': USER_AGENT, ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      stage: 'test',
      domainName: 'api.example.test',
      identity: {
        sourceIp: SOURCE_IP,
        userAgent: USER_AGENT,
        ...(clientCertPem ? { clientCert: clientCertificateData(new X509Certificate(clientCertPem)) } : {}),
      },
    },
  } as unknown as APIGatewayProxyEvent;
}

interface Answer {
  status: number;
  // GraphQL answers are read like a client reads them.
  data?: any;
  errors?: Array<{ message: string; extensions: { code: string } }>;
}

async function directorCall(auth: { accessToken: string }, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const event = gatewayEvent('/director/graphql', JSON.stringify({ query, variables }), { 'Content-Type': 'application/json', Authorization: `Bearer ${auth.accessToken}` });
  const response = await withAuditRequest(event, () => handleGraphQLRequest(event, endpoint));
  return { status: response.statusCode, ...JSON.parse(response.body) };
}

async function connectorCall(credential: { token: string } | { certificatePem: string }, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const body = JSON.stringify({ query, variables });
  const event =
    'token' in credential
      ? gatewayEvent('/connector/graphql', body, { 'Content-Type': 'application/json', 'Connector-Token': credential.token })
      : gatewayEvent('/connector/graphql', body, { 'Content-Type': 'application/json' }, credential.certificatePem);
  const response = await withAuditRequest(event, () => handleConnectorRequest(event, connectorServices));
  return { status: response.statusCode, ...JSON.parse(response.body) };
}

async function grant(clientId: string, clientSecret: string): Promise<{ status: number; body: Record<string, any> }> {
  const event = tokenRequest('grant_type=client_credentials', { Authorization: basicAuthorization(clientId, clientSecret), 'User-Agent': USER_AGENT });
  event.requestContext = { ...event.requestContext, requestId: randomUUID(), identity: { sourceIp: SOURCE_IP, userAgent: USER_AGENT } } as APIGatewayProxyEvent['requestContext'];
  const response = await withAuditRequest(event, () => tokens.handle(event));
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

async function accessTokenOf(clientId: string, clientSecret: string): Promise<string> {
  const { status, body } = await grant(clientId, clientSecret);
  if (status !== 200) throw new Error(`grant refused: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

const EVENTS = `query($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    data { id time action outcome reason count requestId sourceIp userAgent details
           actor { kind id via certificateFingerprint } target { applicationId systemAuthId certificateSerial certificateFingerprint } }
  }
}`;

/** Every event auditEvents answers with, page after page of `first`. */
async function allEvents(auth: { accessToken: string }, filter: Record<string, unknown> = {}, first = 20): Promise<{ events: any[]; totalCount: number; pages: number }> {
  const events: any[] = [];
  let after: string | null = null;
  let totalCount = 0;
  let pages = 0;
  for (;;) {
    const answer = await directorCall(auth, EVENTS, { first, after, filter });
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    pages += 1;
    totalCount = answer.data.auditEvents.totalCount;
    events.push(...answer.data.auditEvents.data);
    if (!answer.data.auditEvents.pageInfo.hasNextPage) return { events, totalCount, pages };
    after = answer.data.auditEvents.pageInfo.endCursor;
  }
}

// ---- the admin CLI, against this run's local AWS (as test/integration/local/admin-cli.test.ts runs it) ----

const root = path.resolve(__dirname, '../../..');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-cli-'));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

function writeStack(): void {
  const { dynamodb, secretsManager } = localAwsEndpoints();
  const stack: StackFile = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stage: 'test',
    region: 'eu-central-1',
    ports: {},
    endpoints: {
      publicBaseUrl: 'http://127.0.0.1:1', mtlsBaseUrl: 'https://127.0.0.1:2', tokenUrl: 'http://127.0.0.1:1/oauth2/token',
      directorUrl: 'http://127.0.0.1:1/director/graphql', dynamodb, secretsManager, kms: secretsManager, lambda: 'http://127.0.0.1:3',
    },
    tables: {},
  };
  fs.writeFileSync(path.join(stateDir, 'stack.json'), JSON.stringify(stack));
}

function adminCli(args: string[]): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'local/admin-cli.ts', ...args], { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: stateDir }, timeout: 60000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`admin ${args[0]} failed: ${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

// ---- the walk ----

const CSR_KEYS = rsaKeyPair(2048);
const SIGN = `mutation($csr: String!) { result: signCertificateSigningRequest(csr: $csr) { clientCertificate } }`;
const CONFIGURATION = `query { result: configuration { token { token } } }`;
const pemOf = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');
const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toLowerCase();

interface Walk {
  tenant: string;
  cliAdmin: { clientId: string; clientSecret: string };
  reader: { clientId: string; accessToken: string };
  appId: string;
  oauthClientId: string;
  certificateAuthId: string;
  firstCertificatePem: string;
  renewedCertificatePem: string;
  /** Every secret, token, key and CSR the walk saw: none may be in an event or a log line. */
  secrets: string[];
  logLines: string[];
}

let walk: Walk;

beforeAll(async () => {
  writeStack();
  const tenant = freshTenant('audit');
  const secrets: string[] = [];
  const { result, lines } = await captureLogs('DEBUG', async () => {
    const cliAdmin = (await adminCli(['create', '--tenant', tenant])) as { clientId: string; clientSecret: string };
    secrets.push(cliAdmin.clientSecret);
    const admin = { accessToken: await accessTokenOf(cliAdmin.clientId, cliAdmin.clientSecret) };
    secrets.push(admin.accessToken);

    const registered = await directorCall(admin, 'mutation { registerApplication(in: {name: "audited"}) { id } }');
    const appId: string = registered.data.registerApplication.id;
    await directorCall(admin, 'mutation($id: ID!) { updateApplication(id: $id, in: {description: "walked"}) { id } }', { id: appId });

    // OAuth pairing, a grant, a rotation, a revoked secret, and a wrong secret 50 times.
    const oauth = await directorCall(admin, `mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { systemAuthID params } }`, { id: appId });
    const { clientId: oauthClientId, clientSecret } = oauth.data.generateAuthForApplication.params;
    secrets.push(clientSecret);
    secrets.push(await accessTokenOf(oauthClientId, clientSecret));
    const rotated = await directorCall(admin, 'mutation($id: ID!) { rotateClientSecret(authID: $id) { id clientSecret } }', { id: oauthClientId });
    secrets.push(rotated.data.rotateClientSecret.clientSecret);
    await directorCall(admin, 'mutation($id: ID!) { revokeClientSecret(authID: $id, secretId: "initial") { id } }', { id: oauthClientId });
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    secrets.push(wrong);
    for (let i = 0; i < 50; i++) expect((await grant(oauthClientId, wrong)).status).toBe(401);
    // The repeats are written when their minute ends; the walk does not wait for that.
    await audit.flush();

    // Certificate pairing: the token, configuration, a spent token, a token of the wrong purpose, a bad CSR, the certificate.
    const pairingToken = await directorCall(admin, 'mutation($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }', { id: appId });
    const configurationToken: string = pairingToken.data.requestOneTimeTokenForApplication.token;
    secrets.push(configurationToken);
    const configured = await connectorCall({ token: configurationToken }, CONFIGURATION);
    const csrToken: string = configured.data.result.token.token;
    secrets.push(csrToken);
    expect((await connectorCall({ token: configurationToken }, CONFIGURATION)).status).toBe(401);
    expect((await connectorCall({ token: csrToken }, CONFIGURATION)).errors?.[0].extensions.code).toBe('FORBIDDEN');
    const certificateAuthId = (await systemAuths.listOfApplication(tenant, appId)).find((auth) => auth.type === 'CLIENT_CERTIFICATE')!.id;
    const badCsr = base64Pem(goodCsrDer(CSR_KEYS, randomUUID()));
    secrets.push(badCsr);
    expect((await connectorCall({ token: csrToken }, SIGN, { csr: badCsr })).errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const csr = base64Pem(goodCsrDer(CSR_KEYS, certificateAuthId));
    secrets.push(csr, CSR_KEYS.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const signed = await connectorCall({ token: csrToken }, SIGN, { csr });
    const firstCertificatePem = pemOf(signed.data.result.clientCertificate);
    // A token nobody issued: refused, and in no tenant's trail.
    expect((await connectorCall({ token: randomBytes(32).toString('base64url') }, CONFIGURATION)).status).toBe(401);

    // Over mTLS: renewal, then revoking the renewed certificate; the Director revokes the first one.
    const renewed = await connectorCall({ certificatePem: firstCertificatePem }, SIGN, { csr });
    const renewedCertificatePem = pemOf(renewed.data.result.clientCertificate);
    expect((await connectorCall({ certificatePem: renewedCertificatePem }, 'mutation { revokeCertificate }')).data).toEqual({ revokeCertificate: true });
    const revokedByAdmin = await directorCall(admin, 'mutation($id: ID!, $fp: String) { revokeIssuedCertificate(authID: $id, sha256Fingerprint: $fp) { serialNumber } }', {
      id: certificateAuthId, fp: fingerprintOf(firstCertificatePem),
    });
    expect(revokedByAdmin.errors).toBeUndefined();

    await directorCall(admin, 'mutation($id: ID!) { unpairApplication(id: $id) { id } }', { id: appId });
    await directorCall(admin, 'mutation($id: ID!) { unregisterApplication(id: $id) { id } }', { id: appId });

    // Another administrator reads; the CLI's one is revoked last.
    const readerAdmin = await oauthClients.createAdmin(tenant);
    secrets.push(readerAdmin.clientSecret);
    const reader = { clientId: readerAdmin.clientId, accessToken: await accessTokenOf(readerAdmin.clientId, readerAdmin.clientSecret) };
    secrets.push(reader.accessToken);
    await adminCli(['revoke', '--client-id', cliAdmin.clientId]);
    return { tenant, cliAdmin, reader, appId, oauthClientId, certificateAuthId, firstCertificatePem, renewedCertificatePem };
  });
  walk = { ...result, secrets, logLines: lines };
}, 180_000);

/** An event as the assertions compare it: what happened, by whom, to what. */
function summary(event: any): Record<string, unknown> {
  return { action: event.action, outcome: event.outcome, actor: event.actor.kind + (event.actor.via ? `/${event.actor.via}` : ''), target: event.target };
}

test('auditEvents lists every flow of the walk, newest first, with actor and target', async () => {
  const { events, totalCount, pages } = await allEvents(walk.reader);
  expect(totalCount).toBe(events.length);
  expect(pages).toBeGreaterThan(1);
  // Newest first, and a page boundary neither drops nor repeats an event.
  expect(events.map((event) => event.time)).toEqual([...events.map((event) => event.time)].sort().reverse());
  expect(new Set(events.map((event) => event.id)).size).toBe(events.length);

  const { appId, oauthClientId: client, certificateAuthId: certAuth } = walk;
  const app = { applicationId: appId, systemAuthId: null, certificateSerial: null, certificateFingerprint: null };
  const onAuth = (systemAuthId: string) => ({ ...app, systemAuthId });
  const onCertificate = (pem: string) => ({ ...app, systemAuthId: certAuth, certificateSerial: serialOf(pem), certificateFingerprint: fingerprintOf(pem) });
  const admin = { applicationId: null, systemAuthId: walk.cliAdmin.clientId, certificateSerial: null, certificateFingerprint: null };
  const reader = { ...admin, systemAuthId: walk.reader.clientId };
  const refusals = events.filter((event) => event.action === 'CLIENT_AUTHENTICATION_REFUSED');
  const chronological = events.filter((event) => event.action !== 'CLIENT_AUTHENTICATION_REFUSED').reverse().map(summary);
  expect(chronological).toEqual([
    { action: 'ADMINISTRATOR_CREATED', outcome: 'SUCCESS', actor: 'CLI', target: admin },
    { action: 'ACCESS_TOKEN_GRANTED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: admin },
    { action: 'APPLICATION_REGISTERED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: app },
    { action: 'APPLICATION_UPDATED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: app },
    { action: 'PAIRING_DATA_GENERATED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: onAuth(client) },
    { action: 'CLIENT_CREDENTIALS_ISSUED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: onAuth(client) },
    { action: 'ACCESS_TOKEN_GRANTED', outcome: 'SUCCESS', actor: 'APPLICATION/OAUTH', target: onAuth(client) },
    { action: 'CLIENT_SECRET_ROTATED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: { ...onAuth(client), applicationId: null } },
    { action: 'CLIENT_SECRET_REVOKED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: onAuth(client) },
    { action: 'PAIRING_DATA_GENERATED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: onAuth(certAuth) },
    { action: 'ONE_TIME_TOKEN_ISSUED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: onAuth(certAuth) },
    { action: 'ONE_TIME_TOKEN_REDEEMED', outcome: 'SUCCESS', actor: 'APPLICATION/ONE_TIME_TOKEN', target: onAuth(certAuth) },
    { action: 'ONE_TIME_TOKEN_ISSUED', outcome: 'SUCCESS', actor: 'APPLICATION/ONE_TIME_TOKEN', target: onAuth(certAuth) },
    { action: 'ONE_TIME_TOKEN_REFUSED', outcome: 'REFUSED', actor: 'APPLICATION/ONE_TIME_TOKEN', target: onAuth(certAuth) },
    { action: 'ONE_TIME_TOKEN_REFUSED', outcome: 'REFUSED', actor: 'APPLICATION/ONE_TIME_TOKEN', target: onAuth(certAuth) },
    { action: 'CSR_REFUSED', outcome: 'REFUSED', actor: 'APPLICATION/ONE_TIME_TOKEN', target: onAuth(certAuth) },
    { action: 'ONE_TIME_TOKEN_REDEEMED', outcome: 'SUCCESS', actor: 'APPLICATION/ONE_TIME_TOKEN', target: onAuth(certAuth) },
    { action: 'CERTIFICATE_ISSUED', outcome: 'SUCCESS', actor: 'APPLICATION/ONE_TIME_TOKEN', target: onCertificate(walk.firstCertificatePem) },
    { action: 'CERTIFICATE_RENEWED', outcome: 'SUCCESS', actor: 'APPLICATION/CERTIFICATE', target: onCertificate(walk.renewedCertificatePem) },
    { action: 'CERTIFICATE_REVOKED', outcome: 'SUCCESS', actor: 'APPLICATION/CERTIFICATE', target: onCertificate(walk.renewedCertificatePem) },
    // Revoking the first certificate covers its whole lineage, but the renewed one was revoked already: no event for it.
    { action: 'CERTIFICATE_REVOKED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: onCertificate(walk.firstCertificatePem) },
    { action: 'APPLICATION_UNPAIRED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: app },
    { action: 'APPLICATION_UNREGISTERED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: app },
    { action: 'ACCESS_TOKEN_GRANTED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: reader },
    { action: 'ADMINISTRATOR_REVOKED', outcome: 'SUCCESS', actor: 'CLI', target: admin },
  ]);

  // Who: the administrator's client id, the application's SystemAuth and, over mTLS, the certificate's fingerprint.
  const byAction = (action: string) => events.filter((event) => event.action === action).reverse();
  expect(byAction('APPLICATION_REGISTERED')[0].actor).toEqual({ kind: 'ADMINISTRATOR', id: walk.cliAdmin.clientId, via: null, certificateFingerprint: null });
  expect(byAction('CERTIFICATE_RENEWED')[0].actor).toEqual({ kind: 'APPLICATION', id: walk.certificateAuthId, via: 'CERTIFICATE', certificateFingerprint: fingerprintOf(walk.firstCertificatePem) });
  expect(byAction('ADMINISTRATOR_CREATED')[0].actor).toEqual({ kind: 'CLI', id: null, via: null, certificateFingerprint: null });
  // Why: each refusal names its reason; the certificate events their serial, fingerprint and notAfter.
  expect(byAction('ONE_TIME_TOKEN_REFUSED').map((event) => event.reason)).toEqual(['spent', 'wrong purpose']);
  expect(byAction('CSR_REFUSED')[0].reason).toMatch(/CN|subject/i);
  expect(byAction('CERTIFICATE_ISSUED')[0].details).toEqual({
    serialNumber: serialOf(walk.firstCertificatePem),
    sha256Fingerprint: fingerprintOf(walk.firstCertificatePem),
    notAfter: new Date(new X509Certificate(walk.firstCertificatePem).validTo).toISOString(),
  });
  expect(byAction('PAIRING_DATA_GENERATED').map((event) => event.details)).toEqual([{ type: 'OAUTH2_CLIENT_CREDENTIALS' }, { type: 'CLIENT_CERTIFICATE' }]);
  // From where: API Gateway's request context (the CLI has none).
  for (const event of events.filter((e) => e.actor.kind !== 'CLI')) {
    expect({ action: event.action, sourceIp: event.sourceIp, userAgent: event.userAgent, requestId: event.requestId }).toEqual({
      action: event.action, sourceIp: SOURCE_IP, userAgent: USER_AGENT, requestId: expect.any(String),
    });
  }

  // The 50 wrong secrets: aggregated, not 50 writes (one each time a minute's total doubles, the rest when the minute
  // ends; the walk may cross a minute); their counts add up to 50.
  expect(refusals.length).toBeLessThanOrEqual(2 * (Math.ceil(Math.log2(50)) + 1));
  expect(refusals.reduce((sum, event) => sum + event.count, 0)).toBe(50);
  for (const refusal of refusals) {
    expect(refusal).toMatchObject({ outcome: 'REFUSED', reason: 'wrong secret', actor: { kind: 'UNAUTHENTICATED', id: client }, target: onAuth(client) });
  }
});

test('auditEvents filters by application, action, outcome and time range', async () => {
  const { events: all } = await allEvents(walk.reader, {}, 100);
  const refused = await allEvents(walk.reader, { outcomes: ['REFUSED'] });
  expect(refused.events.map((event) => event.id)).toEqual(all.filter((event) => event.outcome === 'REFUSED').map((event) => event.id));
  expect(refused.totalCount).toBe(refused.events.length);

  const revocations = await allEvents(walk.reader, { actions: ['CERTIFICATE_REVOKED', 'APPLICATION_UNPAIRED'] }, 2);
  expect(revocations.events.map((event) => event.action)).toEqual(['APPLICATION_UNPAIRED', 'CERTIFICATE_REVOKED', 'CERTIFICATE_REVOKED']);
  expect(revocations.pages).toBe(2);

  const ofApplication = await allEvents(walk.reader, { applicationId: walk.appId });
  expect(ofApplication.events.map((event) => event.id)).toEqual(all.filter((event) => event.target.applicationId === walk.appId).map((event) => event.id));

  const middle = all.slice(5, 10);
  const window = await allEvents(walk.reader, { from: middle.at(-1).time, to: middle[0].time });
  expect(window.events.map((event) => event.id)).toEqual(all.filter((event) => event.time >= middle.at(-1).time && event.time <= middle[0].time).map((event) => event.id));

  const bad = await directorCall(walk.reader, EVENTS, { filter: { from: '2026-11-29T10:00:00Z', to: '2026-11-29T09:00:00Z' } });
  expect(bad.errors?.[0]).toMatchObject({ message: 'filter: from is after to', extensions: { code: 'BAD_USER_INPUT' } });
  const badCursor = await directorCall(walk.reader, EVENTS, { after: 'not-a-cursor' });
  expect(badCursor.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
});

test('no secret, token, private key or CSR is in the audit table or in any log line of the walk', async () => {
  const table = JSON.stringify(await scanAll(config().auditTable));
  const logs = walk.logLines.join('\n');
  expect(walk.secrets.length).toBeGreaterThan(10);
  for (const secret of walk.secrets) {
    expect({ secret: secret.slice(0, 12), inTable: table.includes(secret) }).toEqual({ secret: secret.slice(0, 12), inTable: false });
    expect({ secret: secret.slice(0, 12), inLogs: logs.includes(secret) }).toEqual({ secret: secret.slice(0, 12), inLogs: false });
  }
  for (const shape of ['-----BEGIN', 'Bearer ', 'Basic ', 'eyJ']) expect({ shape, inTable: table.includes(shape) }).toEqual({ shape, inTable: false });
});

test('another tenant sees none of these events, and an application caller is FORBIDDEN', async () => {
  const otherTenant = freshTenant('audit-other');
  const other = await oauthClients.createAdmin(otherTenant);
  const otherReader = { accessToken: await accessTokenOf(other.clientId, other.clientSecret) };
  const { events } = await allEvents(otherReader);
  // Its own grant only.
  expect(events.map(summary)).toEqual([
    { action: 'ACCESS_TOKEN_GRANTED', outcome: 'SUCCESS', actor: 'ADMINISTRATOR', target: { applicationId: null, systemAuthId: other.clientId, certificateSerial: null, certificateFingerprint: null } },
  ]);
  expect((await allEvents(otherReader, { applicationId: walk.appId })).events).toEqual([]);

  // An application of the walk's tenant, paired with OAuth: it may read applications, never the trail.
  const admin = walk.reader;
  const registered = await directorCall(admin, 'mutation { registerApplication(in: {name: "audit-reader-app"}) { id } }');
  const appId: string = registered.data.registerApplication.id;
  const paired = await directorCall(admin, `mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }`, { id: appId });
  const { clientId, clientSecret } = paired.data.generateAuthForApplication.params;
  const application = { accessToken: await accessTokenOf(clientId, clientSecret) };
  const asApplication = await directorCall(application, EVENTS);
  expect(asApplication.data).toBeNull();
  expect(asApplication.errors?.[0].extensions.code).toBe('FORBIDDEN');
  const ownTrail = await directorCall(application, 'query($id: ID!) { application(id: $id) { id auditEvents { totalCount } } }', { id: appId });
  expect(ownTrail.errors?.[0].extensions.code).toBe('FORBIDDEN');

  // The administrator reads the same application's trail through Application.auditEvents.
  const adminView = await directorCall(admin, 'query($id: ID!) { application(id: $id) { auditEvents(first: 10) { totalCount data { action } } } }', { id: appId });
  expect(adminView.data.application.auditEvents).toEqual({
    totalCount: 4,
    data: [{ action: 'ACCESS_TOKEN_GRANTED' }, { action: 'CLIENT_CREDENTIALS_ISSUED' }, { action: 'PAIRING_DATA_GENERATED' }, { action: 'APPLICATION_REGISTERED' }],
  });
});

test('an audit write that fails: the operation still answers as completed, and the whole event is logged at ERROR', async () => {
  const admin = walk.reader;
  const registered = await directorCall(admin, 'mutation { registerApplication(in: {name: "audit-write-fails"}) { id } }');
  const appId: string = registered.data.registerApplication.id;
  const failure = injectFailure(aws.dynamo, { command: 'PutItemCommand', moment: 'before-sending', when: (input) => input.TableName === config().auditTable }, awsError('ProvisionedThroughputExceededException'));
  let captured;
  try {
    captured = await captureLogs('INFO', () => directorCall(admin, 'mutation($id: ID!) { updateApplication(id: $id, in: {description: "changed"}) { id description } }', { id: appId }));
  } finally {
    failure.remove();
  }
  expect(failure.seen).toHaveLength(1);
  expect(captured.result).toMatchObject({ status: 200, data: { updateApplication: { id: appId, description: 'changed' } } });
  expect(captured.result.errors).toBeUndefined();
  const logged = captured.records.filter((record) => record.message === 'audit event could not be written');
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({
    level: 'ERROR',
    error: 'ProvisionedThroughputExceededException',
    auditEvent: { action: 'APPLICATION_UPDATED', outcome: 'SUCCESS', tenant: walk.tenant, target: { applicationId: appId }, actor: { kind: 'ADMINISTRATOR', id: walk.reader.clientId }, sourceIp: SOURCE_IP },
  });
  // The AWS message (it names an internal ARN) is not logged with it, and the event is not in the table.
  expect(JSON.stringify(logged[0])).not.toContain('arn:aws');
  const trail = await allEvents(admin, { applicationId: appId });
  expect(trail.events.map((event) => event.action)).toEqual(['APPLICATION_REGISTERED']);
});

test('an event inside a transaction is written only with its change: a refused registration leaves no APPLICATION_REGISTERED', async () => {
  const admin = walk.reader;
  const first = await directorCall(admin, 'mutation { registerApplication(in: {name: "registered-once"}) { id } }');
  const duplicate = await directorCall(admin, 'mutation { registerApplication(in: {name: "registered-once"}) { id } }');
  expect(duplicate.errors?.[0].extensions.code).toBe('CONFLICT');
  const registrations = (await allEvents(admin, { actions: ['APPLICATION_REGISTERED'] })).events.filter((event) => event.details.name === 'registered-once');
  expect(registrations.map((event) => event.target.applicationId)).toEqual([first.data.registerApplication.id]);
});

test('an unpair whose revocations are cut short is recorded FAILED with the credentials left, and the retry SUCCESS', async () => {
  const admin = walk.reader;
  const registered = await directorCall(admin, 'mutation { registerApplication(in: {name: "unpair-cut-short"}) { id } }');
  const appId: string = registered.data.registerApplication.id;
  const paired = await directorCall(admin, `mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { systemAuthID } }`, { id: appId });
  const systemAuthId: string = paired.data.generateAuthForApplication.systemAuthID;
  const failure = injectFailure(aws.secretsManager, { command: 'DeleteSecretCommand', moment: 'before-sending' }, awsError('ServiceUnavailable'));
  let cutShort: Answer;
  try {
    cutShort = await directorCall(admin, 'mutation($id: ID!) { unpairApplication(id: $id) { id } }', { id: appId });
  } finally {
    failure.remove();
  }
  expect(cutShort.errors?.[0].extensions.code).toBe('INTERNAL');
  expect((await directorCall(admin, 'mutation($id: ID!) { unpairApplication(id: $id) { id } }', { id: appId })).errors).toBeUndefined();
  const unpairs = (await allEvents(admin, { applicationId: appId, actions: ['APPLICATION_UNPAIRED'] })).events.reverse();
  expect(unpairs.map((event) => [event.outcome, event.reason, event.details])).toEqual([
    ['FAILED', 'revocation incomplete', { failedSystemAuthIds: [systemAuthId] }],
    ['SUCCESS', null, {}],
  ]);
});

test('an expired one-time token is refused as expired in its tenant; an unknown one in no tenant', async () => {
  const admin = walk.reader;
  const registered = await directorCall(admin, 'mutation { registerApplication(in: {name: "token-expires"}) { id } }');
  const appId: string = registered.data.registerApplication.id;
  const issued = await directorCall(admin, 'mutation($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }', { id: appId });
  const event = gatewayEvent('/connector/graphql', '{}', { 'Connector-Token': issued.data.requestOneTimeTokenForApplication.token });
  const afterExpiry = new Date(Date.now() + (config().oneTimeTokenTtlSeconds + 1) * 1000);
  await expect(withAuditRequest(event, () => authenticateOneTimeToken(event, oneTimeTokens, afterExpiry, audit))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  const refused = (await allEvents(admin, { applicationId: appId, outcomes: ['REFUSED'] })).events;
  expect(refused).toMatchObject([{ action: 'ONE_TIME_TOKEN_REFUSED', reason: 'expired', actor: { kind: 'APPLICATION', via: 'ONE_TIME_TOKEN' }, details: { purpose: 'CONFIGURATION' } }]);

  // The walk's unknown token: recorded apart from every tenant, as a refusal without an actor id.
  const unattributed = await new AuditRepository(aws.dynamo, config().auditTable).query({ tenant: UNATTRIBUTED_TENANT, actions: ['ONE_TIME_TOKEN_REFUSED'] }, 200);
  expect(unattributed.events.some((e) => e.reason === 'unknown' && e.reasonCode === 'UNKNOWN' && e.actor.kind === 'UNAUTHENTICATED' && e.sourceIp === SOURCE_IP)).toBe(true);
});

test('a revoked client certificate presented over mTLS is recorded in its tenant as a refused client authentication', async () => {
  const answer = await connectorCall({ certificatePem: walk.renewedCertificatePem }, '{ configuration { certificateSigningRequestInfo { subject } } }');
  expect(answer.status).toBe(401);
  const refusals = (await allEvents(walk.reader, { applicationId: walk.appId, actions: ['CLIENT_AUTHENTICATION_REFUSED'] })).events;
  expect(refusals[0]).toMatchObject({
    outcome: 'REFUSED',
    reason: 'The client certificate has been revoked',
    actor: { kind: 'UNAUTHENTICATED', id: walk.certificateAuthId },
    target: { applicationId: walk.appId, systemAuthId: walk.certificateAuthId, certificateSerial: serialOf(walk.renewedCertificatePem), certificateFingerprint: fingerprintOf(walk.renewedCertificatePem) },
    details: { via: 'CERTIFICATE' },
    count: 1,
  });
});

test("an access token outliving its client's revocation is recorded as refused in the client's tenant", async () => {
  const admin = walk.reader;
  const registered = await directorCall(admin, 'mutation { registerApplication(in: {name: "token-outlives-client"}) { id } }');
  const appId: string = registered.data.registerApplication.id;
  const paired = await directorCall(admin, `mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }`, { id: appId });
  const { clientId, clientSecret } = paired.data.generateAuthForApplication.params;
  const application = { accessToken: await accessTokenOf(clientId, clientSecret) };
  await directorCall(admin, 'mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id } }', { id: clientId });
  // The bearer check may serve the client from its 1-second cache.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect((await directorCall(application, '{ viewer { id } }')).status).toBe(401);
  const refusals = (await allEvents(admin, { applicationId: appId, outcomes: ['REFUSED'] })).events;
  expect(refusals).toMatchObject([
    {
      action: 'CLIENT_AUTHENTICATION_REFUSED', reason: 'The OAuth client of this access token no longer exists',
      actor: { kind: 'UNAUTHENTICATED', id: clientId }, target: { applicationId: appId, systemAuthId: clientId },
      details: { via: 'ACCESS_TOKEN', clientKind: 'APPLICATION' },
    },
  ]);
});
