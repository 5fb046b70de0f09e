// Pairing adapters outside the service, against DynamoDB Local + moto's KMS: real HTTP adapters in this process (a
// good one that verifies our JWT with jose against the service's JWKS, and misbehaving ones), called by the Director.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { ApplicationService } from '../../../shared/applications/service';
import { withAuditRequest } from '../../../shared/audit/request';
import { config } from '../../../shared/config';
import { directorEndpoint } from '../../../shared/director/endpoint';
import { handleGraphQLRequest } from '../../../shared/graphql/endpoint';
import { pairingOf } from '../../../shared/pairing';
import { parseExternalAdapters } from '../../../shared/pairing/external-config';
import { UNPAIR_ATTEMPTS } from '../../../shared/pairing/external-adapter';
import { directorServices } from '../../../functions/director/handler';
import { freshTenant, scanAll } from '../../support/local-aws';
import {
  applicationStore, certificateAuths, certificates, inProcessTokenIssuer, oauthClients, oneTimeTokens, publicKeyClients, systemAuths,
} from '../../support/stores';
import { kmsAdapterSigner } from '../../../shared/pairing/external-client';
import { administrator } from './director-calls';
import { awsError, injectFailure, itemPutInto } from './aws-failures';
import { aws, kms, signingKeys } from '../../../functions/container';

/** What the adapter received: method, body, verified JWT claims (or the verification failure). */
interface Received {
  method: string;
  body: Record<string, any>;
  claims?: JWTPayload;
  kid?: string;
  jwtError?: string;
}

type Behaviour = 'good' | 'status500' | 'redirect' | 'notJson' | 'tooBig' | 'wrongShape' | 'slow' | 'deleteFails' | 'deleteStalls';

const received: Received[] = [];
let behaviour: Behaviour = 'good';
let adapterUrl = '';
let refusedUrl = '';
let server: http.Server;

/** The adapter: verifies the service's JWT as any adapter would (JWKS, aud = its URL), then behaves as told. */
async function adapter(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const entry: Received = { method: request.method!, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') };
  const jwt = (request.headers.authorization ?? '').replace(/^Bearer /, '');
  try {
    entry.kid = decodeProtectedHeader(jwt).kid;
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(await signingKeys.publicJwks()), { audience: adapterUrl, algorithms: ['ES256'] });
    entry.claims = payload;
  } catch (error) {
    entry.jwtError = (error as Error).message;
  }
  received.push(entry);
  if (entry.jwtError) {
    response.writeHead(401).end();
    return;
  }
  const json = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  if (request.method === 'DELETE') {
    if (behaviour === 'deleteFails') json(503, { error: 'down' });
    else if (behaviour === 'deleteStalls') return; // never answers: the client's timeout ends each attempt
    else response.writeHead(204).end();
    return;
  }
  switch (behaviour) {
    case 'good': return void json(200, { params: { token: `s3cret-${entry.body.requestId}`, vaultUrl: 'https://vault.example' }, reference: `lease-${entry.body.application.id}` });
    case 'deleteFails':
    case 'deleteStalls': return void json(200, { params: { token: 's3cret' }, reference: 'lease-x' });
    case 'status500': return void json(500, { error: 'database password is hunter2' });
    case 'redirect': return void response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    case 'notJson': return void response.writeHead(200, { 'content-type': 'text/html' }).end('<html>s3cret stack trace</html>');
    case 'tooBig': return void json(200, { params: { blob: 'x'.repeat(70 * 1024) } });
    case 'wrongShape': return void json(200, { token: 's3cret' });
    case 'slow': setTimeout(() => json(200, { params: {} }), 2000); return;
  }
}

const GOOD_SCHEMA = { type: 'object', additionalProperties: false, required: ['ttl'], properties: { ttl: { type: 'integer', minimum: 1 } } };

let endpoint: ReturnType<typeof directorEndpoint>;

beforeAll(async () => {
  server = http.createServer((request, response) => void adapter(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  adapterUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pairing`;
  // A port that was free a moment ago: nothing listens there.
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/pairing`;
  await new Promise((resolve) => closed.close(resolve));
  // The loopback URLs are allowed on the local stage only: parsed as the local stage's Director would.
  const adapters = parseExternalAdapters(JSON.stringify([
    { name: 'vault', url: adapterUrl, timeoutSeconds: 1, authTypes: [{ type: 'VAULT_TOKEN', description: 'A Vault token', label: 'Vault token', inputParams: GOOD_SCHEMA }] },
    { name: 'nowhere', url: refusedUrl, authTypes: [{ type: 'NOWHERE_TOKEN', inputParams: { type: 'object' } }] },
  ]), 'local');
  const { pairing } = pairingOf({
    systemAuths, certificateAuths, certificates, oneTimeTokens, oauthClients, tokenIssuer: inProcessTokenIssuer, publicKeyClients,
    external: { adapters, stage: config().stage, retryDelayMs: 10, unpairBudgetMs: 1500, sign: kmsAdapterSigner(kms, signingKeys) },
  });
  // The Director's composition, with these adapters configured.
  endpoint = directorEndpoint({ ...directorServices(inProcessTokenIssuer), pairing, applications: new ApplicationService(applicationStore, [pairing]) });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  behaviour = 'good';
});

async function director(accessToken: string, query: string, variables: Record<string, unknown> = {}) {
  const event = {
    httpMethod: 'POST', path: '/director/graphql', resource: '/director/graphql', body: JSON.stringify({ query, variables }), isBase64Encoded: false,
    headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
    multiValueHeaders: {}, queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
    requestContext: { stage: 'test', domainName: 'api.example.test', requestId: randomUUID(), identity: { sourceIp: '192.0.2.1' } },
  } as unknown as APIGatewayProxyEvent;
  const response = await withAuditRequest(event, () => handleGraphQLRequest(event, endpoint));
  return { raw: response.body, ...(JSON.parse(response.body) as { data: any; errors?: Array<{ message: string; extensions: { code: string } }> }) };
}

const GENERATE = `mutation($id: ID!, $type: String!, $params: JSON!) {
  generateAuthForApplication(id: $id, type: {type: $type}, inputParams: $params) { type systemAuthID params } }`;
const AUTHS = `query($id: ID!) { application(id: $id) { auths { id type status pairingAdapter authType adapterReference clientSecret presentation { label } } } }`;

async function adminWithApplication() {
  const tenant = freshTenant();
  const admin = (await administrator(tenant)).accessToken;
  const registered = await director(admin, `mutation($name: String!) { registerApplication(in: {name: $name}) { id } }`, { name: `app-${randomUUID().slice(0, 8)}` });
  expect(registered.errors).toBeUndefined();
  return { tenant, admin, appId: registered.data.registerApplication.id as string };
}

/** An application paired through the adapter, then unpaired while the adapter answers the DELETE as `how` says; only the DELETEs stay in `received`. */
async function pairedThenUnpaired(how: Behaviour) {
  behaviour = how;
  const { tenant, admin, appId } = await adminWithApplication();
  const id = (await director(admin, GENERATE, { id: appId, type: 'VAULT_TOKEN', params: { ttl: 1 } })).data.generateAuthForApplication.systemAuthID as string;
  received.length = 0;
  const unpaired = await director(admin, `mutation($id: ID!) { unpairApplication(id: $id) { id auths { id } } }`, { id: appId });
  expect(unpaired.errors).toBeUndefined();
  return { tenant, appId, id, unpaired };
}

/** The tenant's audit events as stored. */
async function auditOf(tenant: string): Promise<Array<Record<string, any>>> {
  return ((await scanAll(config().auditTable)) as Array<Record<string, any>>).filter((item) => item.tenant === tenant);
}

describe('pairing adapters outside the service', () => {
  it('a wrong list keeps the Director from starting, with a message naming the field', () => {
    const saved = process.env.EXTERNAL_PAIRING_ADAPTERS;
    process.env.EXTERNAL_PAIRING_ADAPTERS = JSON.stringify([{ name: 'vault', url: 'https://vault.example.com/', authTypes: [], timeoutSeconds: 5 }]);
    try {
      // A fresh load of the handler module, as a new Lambda container would do it.
      expect(() => jest.isolateModules(() => require('../../../functions/director/handler'))).toThrow('EXTERNAL_PAIRING_ADAPTERS[0].authTypes must be a non-empty list');
    } finally {
      if (saved === undefined) delete process.env.EXTERNAL_PAIRING_ADAPTERS;
      else process.env.EXTERNAL_PAIRING_ADAPTERS = saved;
    }
  });

  it('lists the outside types beside the built-in ones, with their schema and words', async () => {
    const { admin, appId } = await adminWithApplication();
    const answer = await director(admin, `query($id: ID!) { getAuthTypesForApplication(appId: $id) { type inputParams presentation { label } } }`, { id: appId });
    expect(answer.errors).toBeUndefined();
    const types = answer.data.getAuthTypesForApplication as Array<{ type: string; inputParams: unknown; presentation: { label: string } }>;
    expect(types.map((t) => t.type)).toEqual(['OAUTH2_CLIENT_CREDENTIALS', 'CLIENT_CERTIFICATE', 'PRIVATE_KEY_JWT', 'VAULT_TOKEN', 'NOWHERE_TOKEN']);
    expect(types[3]).toEqual({ type: 'VAULT_TOKEN', inputParams: GOOD_SCHEMA, presentation: { label: 'Vault token' } });
  });

  it('pairs through the adapter with a JWT of the service (aud = its URL, at most 60 s, kid in the JWKS) and keeps no secret', async () => {
    const { tenant, admin, appId } = await adminWithApplication();
    const answer = await director(admin, GENERATE, { id: appId, type: 'VAULT_TOKEN', params: { ttl: 60 } });
    expect(answer.errors).toBeUndefined();
    const result = answer.data.generateAuthForApplication;
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call!.jwtError).toBeUndefined();
    expect(call!.method).toBe('POST');
    expect(call!.body).toEqual({ requestId: expect.any(String), tenant, application: { id: appId, name: expect.any(String) }, type: 'VAULT_TOKEN', inputParams: { ttl: 60 } });
    expect(call!.claims).toMatchObject({ aud: adapterUrl, sub: tenant, iss: `pairing-service:${config().stage}` });
    expect(call!.claims!.exp! - call!.claims!.iat!).toBeLessThanOrEqual(60);
    expect((await signingKeys.publicJwks()).keys.map((key) => key.kid)).toContain(call!.kid);
    expect(result).toEqual({ type: 'VAULT_TOKEN', systemAuthID: expect.any(String), params: { token: `s3cret-${call!.body.requestId}`, vaultUrl: 'https://vault.example' } });

    const auths = await director(admin, AUTHS, { id: appId });
    expect(auths.data.application.auths).toEqual([{
      id: result.systemAuthID, type: 'EXTERNAL', status: 'ACTIVE', pairingAdapter: 'vault', authType: 'VAULT_TOKEN', adapterReference: `lease-${appId}`,
      clientSecret: null, presentation: { label: 'Vault token' },
    }]);
    // The adapter's secret is nowhere in our tables.
    const stored = JSON.stringify([await scanAll(config().systemAuthsTable), await auditOf(tenant)]);
    expect(stored).not.toContain('s3cret');
    expect((await auditOf(tenant)).filter((event) => event.action === 'PAIRING_DATA_GENERATED')).toEqual([
      expect.objectContaining({ outcome: 'SUCCESS', details: { type: 'VAULT_TOKEN' } }),
    ]);
  });

  it('refuses inputParams against the schema before calling the adapter', async () => {
    const { admin, appId } = await adminWithApplication();
    const answer = await director(admin, GENERATE, { id: appId, type: 'VAULT_TOKEN', params: { ttl: 'soon' } });
    expect(answer.errors?.[0]).toMatchObject({ message: 'invalid inputParams for VAULT_TOKEN: inputParams.ttl must be integer', extensions: { code: 'BAD_USER_INPUT' } });
    expect(received).toEqual([]);
  });

  it.each([
    ['status500', 'vault', 'answered HTTP 500'],
    ['redirect', 'vault', 'answered with a redirect (HTTP 302), which is not followed'],
    ['notJson', 'vault', 'answered with something that is not JSON'],
    ['tooBig', 'vault', 'answered with more than 64 KB'],
    ['wrongShape', 'vault', 'answered with an unknown key "token" (expected {params, reference?})'],
    ['slow', 'vault', 'no answer within 1 s'],
    ['good', 'nowhere', 'connection refused'],
  ] as Array<[Behaviour, string, string]>)('a bad adapter (%s of %s): a clear INTERNAL error naming it, nothing stored, a REFUSED audit event', async (how, name, reason) => {
    behaviour = how;
    const { tenant, admin, appId } = await adminWithApplication();
    const type = name === 'vault' ? 'VAULT_TOKEN' : 'NOWHERE_TOKEN';
    const answer = await director(admin, GENERATE, { id: appId, type, params: name === 'vault' ? { ttl: 5 } : {} });
    expect(answer.errors).toEqual([expect.objectContaining({ message: `Pairing adapter "${name}" failed: ${reason}`, extensions: expect.objectContaining({ code: 'INTERNAL' }) })]);
    expect(answer.raw).not.toMatch(/hunter2|s3cret|stack|at .*\.ts/);
    expect((await director(admin, AUTHS, { id: appId })).data.application.auths).toEqual([]);
    expect((await auditOf(tenant)).filter((event) => event.action === 'PAIRING_DATA_GENERATED')).toEqual([
      expect.objectContaining({ outcome: 'REFUSED', reason, details: { type, adapter: name } }),
    ]);
  });

  it('a pairing that cannot be stored fails as INTERNAL without the AWS error, and the adapter is told to drop what it made', async () => {
    const { admin, appId } = await adminWithApplication();
    const failure = injectFailure(aws.dynamo, { command: 'PutItemCommand', moment: 'before-sending', when: (input) => itemPutInto(config().systemAuthsTable, input) !== undefined }, awsError('ProvisionedThroughputExceededException'));
    try {
      const answer = await director(admin, GENERATE, { id: appId, type: 'VAULT_TOKEN', params: { ttl: 5 } });
      expect(answer.errors?.[0]).toMatchObject({ message: 'Internal error', extensions: { code: 'INTERNAL' } });
    } finally {
      failure.remove();
    }
    expect(received.map((call) => call.method)).toEqual(['POST', 'DELETE']);
    expect(received[1]!.body).toMatchObject({ requestId: received[0]!.body.requestId, applicationId: appId, reference: `lease-${appId}` });
    expect((await director(admin, AUTHS, { id: appId })).data.application.auths).toEqual([]);
  });

  it('deleting the SystemAuth, unpairing and unregistering tell the adapter with DELETE and the same kind of JWT', async () => {
    const { tenant, admin, appId } = await adminWithApplication();
    const first = (await director(admin, GENERATE, { id: appId, type: 'VAULT_TOKEN', params: { ttl: 1 } })).data.generateAuthForApplication.systemAuthID;
    const second = (await director(admin, GENERATE, { id: appId, type: 'VAULT_TOKEN', params: { ttl: 1 } })).data.generateAuthForApplication.systemAuthID;
    received.length = 0;
    const deleted = await director(admin, `mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id type status pairingAdapter } }`, { id: first });
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data.deleteSystemAuthForApplication).toEqual({ id: first, type: 'EXTERNAL', status: 'REVOKED', pairingAdapter: 'vault' });
    expect(received.map((call) => call.jwtError)).toEqual([undefined]);
    expect(received).toEqual([expect.objectContaining({
      method: 'DELETE', claims: expect.objectContaining({ aud: adapterUrl, sub: tenant }),
      body: { requestId: expect.any(String), tenant, applicationId: appId, systemAuthId: first, type: 'VAULT_TOKEN', reference: `lease-${appId}` },
    })]);
    received.length = 0;
    const unregistered = await director(admin, `mutation($id: ID!) { unregisterApplication(id: $id) { id } }`, { id: appId });
    expect(unregistered.errors).toBeUndefined();
    expect(received.map((call) => [call.method, call.body.systemAuthId])).toEqual([['DELETE', second]]);
    expect(await systemAuths.get(second)).toBeUndefined();
    // An adapter that was told leaves nothing further in the trail.
    expect((await auditOf(tenant)).filter((event) => event.action === 'PAIRING_ADAPTER_NOTIFIED')).toEqual([]);
  });

  it('an adapter that fails the DELETE is retried a bounded number of times and never blocks the deletion', async () => {
    const { tenant, appId, id, unpaired } = await pairedThenUnpaired('deleteFails');
    expect(unpaired.data.unpairApplication.auths).toEqual([]);
    expect(received.map((call) => call.method)).toEqual(Array(UNPAIR_ATTEMPTS).fill('DELETE'));
    expect(await systemAuths.get(id)).toBeUndefined();
    // Audited as the administrator's, beside the unpairing itself: which adapter, what it holds, why, how often tried.
    const events = await auditOf(tenant);
    expect(events.filter((event) => event.action === 'PAIRING_ADAPTER_NOTIFIED')).toEqual([expect.objectContaining({
      outcome: 'FAILED', actor: expect.objectContaining({ kind: 'ADMINISTRATOR' }), target: { applicationId: appId, systemAuthId: id },
      reason: 'the pairing adapter was not told of the deletion: answered HTTP 503',
      details: { adapter: 'vault', authType: 'VAULT_TOKEN', reference: 'lease-x', attempts: UNPAIR_ATTEMPTS },
    })]);
    expect(events.filter((event) => event.action === 'APPLICATION_UNPAIRED')).toEqual([expect.objectContaining({ outcome: 'SUCCESS' })]);
  });

  it('an adapter that does not answer the DELETE gets no retry that would end past the budget (the timeout is 1 s, the budget 1.5 s)', async () => {
    const { tenant, id } = await pairedThenUnpaired('deleteStalls');
    expect(received.map((call) => call.method)).toEqual(['DELETE']);
    expect(await systemAuths.get(id)).toBeUndefined();
    expect((await auditOf(tenant)).filter((event) => event.action === 'PAIRING_ADAPTER_NOTIFIED')).toEqual([expect.objectContaining({
      outcome: 'FAILED', reason: 'the pairing adapter was not told of the deletion: no answer within 1 s', details: expect.objectContaining({ attempts: 1 }),
    })]);
  });
});
