// End to end over HTTP against `npm start`: an administrator pairs an application with client credentials, the application calls as itself, is refused elsewhere, and is revoked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../local/aws-services';
import { freePort, spawnProcess, type LocalProcess } from '../../local/processes';

interface AdminFile {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  directorUrl: string;
  tenant: string;
}

/** A running `npm start` on free ports with its own state directory. */
interface Stack {
  process: LocalProcess;
  stateDir: string;
  admin: AdminFile;
}

const START_TIMEOUT_MS = 180_000;

async function startStack(): Promise<Stack> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairing-e2e-'));
  const ports = {
    PORT: await freePort(),
    LOCAL_DYNAMODB_PORT: await freePort(),
    LOCAL_AWS_PORT: await freePort(),
    MTLS_PORT: await freePort(),
    OFFLINE_LAMBDA_PORT: await freePort(),
  };
  // The stack sets its own AWS endpoints: drop the test run's, so nothing points at the integration tests' local AWS.
  const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STATE_DIR: stateDir };
  for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'STAGE']) delete env[name];
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);

  let stdout = '';
  let announceReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (announceReady = resolve));
  const child = spawnProcess({
    name: 'npm start',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(projectRoot, 'local', 'start.ts')],
    cwd: projectRoot,
    env,
    onOutput: (chunk) => {
      stdout += chunk.toString('utf8');
      if (/\bready\b/.test(stdout)) announceReady();
    },
  });
  const ended = child.exited().then(() => {
    throw new Error(`npm start ended before it was ready:\n${child.outputTail()}`);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`npm start was not ready within ${START_TIMEOUT_MS} ms:\n${child.outputTail()}`)), START_TIMEOUT_MS);
  });
  try {
    await Promise.race([ready, ended, timeout]);
  } catch (error) {
    await child.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const admin = JSON.parse(fs.readFileSync(path.join(stateDir, 'admin.json'), 'utf8')) as AdminFile;
  return { process: child, stateDir, admin };
}

/** curl -u id:secret -d grant_type=client_credentials <tokenUrl> */
async function tokenGrant(tokenUrl: string, clientId: string, clientSecret: string) {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"query":...}' <directorUrl> */
async function graphql(directorUrl: string, accessToken: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(directorUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ query, variables }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are compared field by field below
  const body = (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions: { code: string } }> };
  return { status: response.status, ...body };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OAuth client-credentials pairing over HTTP (npm start)', () => {
  let stack: Stack | undefined;

  beforeAll(async () => {
    stack = await startStack();
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (!stack) return;
    await stack.process.stop();
    fs.rmSync(stack.stateDir, { recursive: true, force: true });
  });

  it('administrator pairs, application reads itself and is refused elsewhere, revocation ends both its grants and its tokens', async () => {
    const { admin } = stack!;

    const adminGrant = await tokenGrant(admin.tokenUrl, admin.clientId, admin.clientSecret);
    expect(adminGrant.status).toBe(200);
    const adminToken = String(adminGrant.body.access_token);

    const registered = await graphql(admin.directorUrl, adminToken,
      'mutation($name: String!) { registerApplication(in: {name: $name}) { id name status { condition } } }',
      { name: `e2e-${Date.now().toString(36)}` });
    expect(registered.errors).toBeUndefined();
    const appId: string = registered.data.registerApplication.id;
    expect(registered.data.registerApplication.status.condition).toBe('INITIAL');

    const authTypes = await graphql(admin.directorUrl, adminToken,
      'query($id: ID!) { getAuthTypesForApplication(appId: $id) { type inputParams } }', { id: appId });
    expect(authTypes.data.getAuthTypesForApplication.map((t: { type: string }) => t.type)).toContain('OAUTH2_CLIENT_CREDENTIALS');

    const generated = await graphql(admin.directorUrl, adminToken,
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { type systemAuthID params } }',
      { id: appId });
    expect(generated.errors).toBeUndefined();
    const { systemAuthID, params } = generated.data.generateAuthForApplication;
    expect(params).toEqual({ clientId: systemAuthID, clientSecret: expect.any(String), tokenUrl: admin.tokenUrl, scopes: ['application:read'] });

    // The application, with nothing but the pairing params.
    const appGrant = await tokenGrant(params.tokenUrl, params.clientId, params.clientSecret);
    expect(appGrant).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'application:read' } });
    const appToken = String(appGrant.body.access_token);

    const itself = await graphql(admin.directorUrl, appToken,
      'query($id: ID!) { viewer { id type tenant } application(id: $id) { id name } applications { totalCount data { id } } }', { id: appId });
    expect(itself.status).toBe(200);
    expect(itself.errors).toBeUndefined();
    expect(itself.data).toEqual({
      viewer: { id: appId, type: 'APPLICATION', tenant: admin.tenant },
      application: { id: appId, name: registered.data.registerApplication.name },
      applications: { totalCount: 1, data: [{ id: appId }] },
    });

    const refused = await graphql(admin.directorUrl, appToken, 'mutation { registerApplication(in: {name: "intruder"}) { id } }');
    expect(refused.status).toBe(200);
    expect(refused.errors?.[0].extensions.code).toBe('FORBIDDEN');

    const connected = await graphql(admin.directorUrl, adminToken,
      'query($id: ID!) { application(id: $id) { status { condition } auths { id status lastUsedAt clientSecret } } }', { id: appId });
    expect(connected.data.application.status.condition).toBe('CONNECTED');
    expect(connected.data.application.auths).toEqual([{ id: systemAuthID, status: 'ACTIVE', lastUsedAt: expect.any(String), clientSecret: null }]);

    const deleted = await graphql(admin.directorUrl, adminToken,
      'mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id status } }', { id: systemAuthID });
    expect(deleted.data.deleteSystemAuthForApplication).toEqual({ id: systemAuthID, status: 'REVOKED' });

    // The Director may have cached the SystemAuth for at most 1 s.
    await sleep(1100);
    const oldToken = await graphql(admin.directorUrl, appToken, '{ viewer { id } }');
    expect(oldToken.status).toBe(401);
    expect(oldToken.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await tokenGrant(params.tokenUrl, params.clientId, params.clientSecret)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  }, 120_000);
});
