// The Director as Lambda runs it after a cold start: the packaged bundle (`serverless package --stage prod`), loaded in a
// fresh Node process, answers its first request against the local emulators (issue 17: what bundling may not break).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationRepository } from '../../shared/applications/repository';
import { ApplicationService } from '../../shared/applications/service';
import { issueAccessToken } from '../../shared/oauth/access-tokens';
import { ADMIN_SCOPES } from '../../shared/scopes';
import { extractBundle, packageService } from '../../local/packaging';
import { freshTenant, secretExists } from '../support/local-aws';
import { oauthClients, systemAuths } from '../support/stores';
import { config } from '../../shared/config';
import { aws } from '../../functions/container';

/** Marks the response on stdout, after any log lines of the service (LOG_LEVEL=INFO prints them there). */
const RESPONSE_MARK = '\nbundle-test-response:';

/** What the fresh process runs: loads the handler, serves the event from stdin, prints the response. */
const FIRST_REQUEST = `
let input = '';
process.stdin.on('data', (chunk) => (input += chunk)).on('end', async () => {
  const { handler } = require(process.argv[1]);
  const response = await handler(JSON.parse(input), { awsRequestId: 'bundle-test' });
  process.stdout.write(${JSON.stringify(RESPONSE_MARK)} + JSON.stringify(response));
});
`;

function serveInFreshProcess(handlerFile: string, event: unknown): Promise<{ statusCode: number; body: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', FIRST_REQUEST, handlerFile], { env: process.env, maxBuffer: 8 << 20 }, (error, stdout, stderr) => {
      const at = stdout.lastIndexOf(RESPONSE_MARK);
      if (error || at < 0) reject(new Error(`the bundle's process answered nothing: ${error?.message ?? ''}\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(stdout.slice(at + RESPONSE_MARK.length)) as { statusCode: number; body: string });
    });
    child.stdin!.end(JSON.stringify(event));
  });
}

let packageDir: string;
let extracted: string;
let bundle: Awaited<ReturnType<typeof extractBundle>>;

beforeAll(async () => {
  // Packaging needs credentials to exist, never to work; the test stage's endpoints do not matter to a bundle.
  packageDir = await packageService({ stage: 'prod', env: { ...process.env, AWS_ACCESS_KEY_ID: 'bundle-test', AWS_SECRET_ACCESS_KEY: 'bundle-test' } });
  extracted = fs.mkdtempSync(path.join(os.tmpdir(), 'pairing-director-bundle-'));
  bundle = await extractBundle(packageDir, 'director', extracted);
}, 300_000);

afterAll(() => {
  for (const dir of [packageDir, extracted]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the packaged Director bundle', () => {
  it('serves its first request in a fresh process: an OAuth pairing, with the schema check, DynamoDB and Secrets Manager', async () => {
    const tenant = freshTenant('bundle');
    const admin = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: ADMIN_SCOPES });
    const token = (await issueAccessToken(admin.systemAuth, [...ADMIN_SCOPES], 'https://api.example.test', config())).accessToken;
    const application = await new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config)).register(tenant, { name: `bundle-${randomUUID().slice(0, 8)}` });
    const query = `mutation($id: ID!, $params: JSON!) {
      generateAuthForApplication(id: $id, type: { type: "OAUTH2_CLIENT_CREDENTIALS" }, inputParams: $params) { type systemAuthID params } }`;
    const event = (params: unknown) => ({
      httpMethod: 'POST',
      path: '/director/graphql',
      resource: '/director/graphql',
      body: JSON.stringify({ query, variables: { id: application.id, params } }),
      isBase64Encoded: false,
      headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      requestContext: { stage: 'prod', domainName: 'api.example.test', requestId: randomUUID(), identity: { sourceIp: '192.0.2.1' } },
    });

    const response = await serveInFreshProcess(bundle.handlerFile, event({ scopes: ['application:read'] }));
    const body = JSON.parse(response.body);
    expect(body.errors).toBeUndefined();
    expect(response.statusCode).toBe(200);
    const result = body.data.generateAuthForApplication;
    expect(result).toMatchObject({ type: 'OAUTH2_CLIENT_CREDENTIALS', params: { clientId: result.systemAuthID, clientSecret: expect.any(String) } });
    // What the request wrote is there: the client's SystemAuth (DynamoDB Local) and its secret (moto).
    expect(await systemAuths.getOfTenant(tenant, result.systemAuthID)).toMatchObject({ type: 'OAUTH2_CLIENT_CREDENTIALS', appId: application.id, scopes: ['application:read'] });
    expect(await secretExists(`pairing-service/test/oauth-clients/${result.systemAuthID}`)).toBe(true);
  });

  it('checks inputParams against the adapter schema on its first request too (a validator generated at build time)', async () => {
    const tenant = freshTenant('bundle');
    const admin = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: ADMIN_SCOPES });
    const token = (await issueAccessToken(admin.systemAuth, [...ADMIN_SCOPES], 'https://api.example.test', config())).accessToken;
    const application = await new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config)).register(tenant, { name: `bundle-${randomUUID().slice(0, 8)}` });
    const response = await serveInFreshProcess(bundle.handlerFile, {
      httpMethod: 'POST',
      path: '/director/graphql',
      resource: '/director/graphql',
      body: JSON.stringify({
        query: `mutation($id: ID!) { generateAuthForApplication(id: $id, type: { type: "OAUTH2_CLIENT_CREDENTIALS" }, inputParams: { colour: "red" }) { systemAuthID } }`,
        variables: { id: application.id },
      }),
      isBase64Encoded: false,
      headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      requestContext: { stage: 'prod', domainName: 'api.example.test', requestId: randomUUID(), identity: { sourceIp: '192.0.2.1' } },
    });
    const body = JSON.parse(response.body);
    expect(body.errors?.[0]).toMatchObject({ message: 'invalid inputParams for OAUTH2_CLIENT_CREDENTIALS: inputParams has unknown key "colour"', extensions: { code: 'BAD_USER_INPUT' } });
    expect(await systemAuths.listOfApplication(tenant, application.id)).toEqual([]);
  });

  it('holds one JavaScript file under 1.1 MiB, none of node-forge (client certificates are checked with node:crypto) and no Ajv compiler', () => {
    // 1 MiB until the outside pairing adapters' HTTP client and inputParams check (about 5 KB more) came in.
    expect(bundle.javaScriptBytes).toBeLessThan(1.1 * 1024 * 1024);
    // A message of forge's ASN.1 codec: the Director's bundle has none of forge, the Connector's has its codec only.
    const code = fs.readFileSync(bundle.handlerFile, 'utf8');
    expect(code).not.toContain('Too few bytes to read ASN.1 value.');
    // Nor Ajv's compiler (a message of its schema compilation): the validators come generated (shared/json-schema.ts).
    expect(code).not.toContain('schema with key or id');
  });
});
