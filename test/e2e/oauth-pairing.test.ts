// End to end over HTTP against `npm start`: an administrator pairs an application with client credentials, the application calls as itself, is refused elsewhere, and is revoked;
// a strict OAuth client library (openid-client) uses the pairing data as an application's own code would.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import * as oauthClient from 'openid-client';
import { graphql } from '../support/clients';
import { startLocalStack, START_TIMEOUT_MS, tokenGrant, type LocalStack } from '../support/local-stack';

// Each step runs real processes (curl, openssl, the stack's functions): bounded generously, a loaded machine is slow.
jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How this run's stacks keep client secrets: the `verifier` jest project sets CLIENT_SECRET_STORE, which `npm start` inherits. */
const SECRET_STORE = process.env.CLIENT_SECRET_STORE === 'verifier' ? 'verifier' : 'secrets-manager';

/** npm run --silent admin -- <args> against the stack: exit code, stdout and stderr. */
const adminCli = (stateDir: string, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'local/admin-cli.ts', ...args], { cwd: path.resolve(__dirname, '../..'), env: { ...process.env, LOCAL_STATE_DIR: stateDir }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

describe('OAuth client-credentials pairing over HTTP (npm start)', () => {
  let stack: LocalStack | undefined;

  beforeAll(async () => {
    stack = await startLocalStack({ name: 'pairing-e2e' });
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('the functions\' metrics appear in the stack\'s output as EMF lines of the local namespace, by reason code', async () => {
    const { admin } = stack!;
    // A client id nobody has (a wrong secret for the administrator would slow its next attempts down).
    const refused = await tokenGrant(admin.tokenUrl, randomUUID(), 'not-the-secret');
    expect(refused.status).toBe(401);
    expect((await tokenGrant(admin.tokenUrl, admin.clientId, admin.clientSecret)).status).toBe(200);
    // serverless-offline passes the function's stdout on as it comes: wait until the grant's line has arrived.
    const emf = async () =>
      stack!.output().split('\n').filter((line) => line.startsWith('{"_aws":')).map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string }[] } });
    for (let i = 0; i < 50 && !(await emf()).some((line) => 'AccessTokensGranted' in line); i++) await sleep(100);
    const lines = await emf();
    expect(lines).toContainEqual(expect.objectContaining({ service: 'pairing-service', Reason: 'UNKNOWN_CLIENT', ClientAuthenticationsRefused: 1 }));
    expect(lines).toContainEqual(expect.objectContaining({ service: 'pairing-service', AccessTokensGranted: 1 }));
    expect(new Set(lines.map((line) => line._aws.CloudWatchMetrics[0]!.Namespace))).toEqual(new Set(['PairingService/local']));
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(admin.clientId);
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
  it(`client secrets kept in ${SECRET_STORE}: rotation and revocation over HTTP, migrate-client-secrets, and a strict client library's grants before and after`, async () => {
    const { admin } = stack!;
    expect(stack!.stackFile.clientSecretStore).toBe(SECRET_STORE);
    const adminToken = String((await tokenGrant(admin.tokenUrl, admin.clientId, admin.clientSecret)).body.access_token);
    const registered = await graphql(admin.directorUrl, adminToken,
      'mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name: `store-${Date.now().toString(36)}` });
    const appId: string = registered.data.registerApplication.id;
    const generated = await graphql(admin.directorUrl, adminToken,
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }', { id: appId });
    const { clientId, clientSecret } = generated.data.generateAuthForApplication.params as { clientId: string; clientSecret: string };
    const strictGrant = async (secret: string) =>
      oauthClient.clientCredentialsGrant(await oauthClient.discovery(new URL(stack!.baseUrl), clientId, undefined, oauthClient.ClientSecretBasic(secret), {
        algorithm: 'oauth2', execute: [oauthClient.allowInsecureRequests],
      })).then((granted) => granted.token_type, (error: unknown) => (error as { status?: number }).status);

    const rotated = await graphql(admin.directorUrl, adminToken, 'mutation($id: ID!) { rotateClientSecret(authID: $id) { id clientSecret } }', { id: clientId });
    expect(rotated.errors).toBeUndefined();
    const second = rotated.data.rotateClientSecret as { id: string; clientSecret: string };
    expect(await strictGrant(clientSecret)).toBe('bearer');
    expect(await strictGrant(second.clientSecret)).toBe('bearer');

    // Going back is refused, whatever the stack keeps, and changes nothing.
    const back = await adminCli(stack!.stateDir, ['migrate-client-secrets', '--to', 'secrets-manager']);
    expect(back).toMatchObject({ code: 1, stdout: '' });
    expect(back.stderr).toMatch(/--to secrets-manager is impossible: .*no secret left anywhere/);

    const migration = await adminCli(stack!.stateDir, ['migrate-client-secrets', '--to', 'verifier']);
    if (SECRET_STORE === 'secrets-manager') {
      // The stack's functions read Secrets Manager only: moving secrets out of it would lock every client out.
      expect(migration.code).toBe(1);
      expect(migration.stderr).toMatch(/keeps client secrets in Secrets Manager.*CLIENT_SECRET_STORE=verifier/);
    } else {
      expect(migration.code).toBe(0);
      const report = JSON.parse(migration.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({ stage: 'local', to: 'verifier', alreadyMigrated: 0, failed: [] });
      expect(report.migrated).toBe(report.clients);
      // Idempotent: a second run finds every client done.
      const again = JSON.parse((await adminCli(stack!.stateDir, ['migrate-client-secrets', '--to', 'verifier'])).stdout) as Record<string, unknown>;
      expect(again).toMatchObject({ migrated: 0, alreadyMigrated: report.clients, failed: [] });
      const events = await graphql(admin.directorUrl, adminToken,
        'query { auditEvents(filter: {actions: [CLIENT_SECRETS_MIGRATED]}) { data { action outcome actor { kind } target { systemAuthId } } } }');
      expect(events.errors).toBeUndefined();
      expect(events.data.auditEvents.data).toContainEqual({ action: 'CLIENT_SECRETS_MIGRATED', outcome: 'SUCCESS', actor: { kind: 'CLI' }, target: { systemAuthId: clientId } });
    }
    expect(await strictGrant(clientSecret)).toBe('bearer');
    expect(await strictGrant(second.clientSecret)).toBe('bearer');

    // Revoking one secret refuses it from the next request on; the other keeps working.
    const revoked = await graphql(admin.directorUrl, adminToken, 'mutation($id: ID!) { revokeClientSecret(authID: $id, secretId: "initial") { id } }', { id: clientId });
    expect(revoked.errors).toBeUndefined();
    expect(await strictGrant(clientSecret)).toBe(401);
    expect(await strictGrant(second.clientSecret)).toBe('bearer');
  });

  it('a strict OAuth client library gets tokens with client_secret_post and client_secret_basic and reports a wrong secret as invalid_client', async () => {
    const { admin } = stack!;
    const adminToken = String((await tokenGrant(admin.tokenUrl, admin.clientId, admin.clientSecret)).body.access_token);
    const registered = await graphql(admin.directorUrl, adminToken,
      'mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name: `strict-${Date.now().toString(36)}` });
    const generated = await graphql(admin.directorUrl, adminToken,
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }',
      { id: registered.data.registerApplication.id });
    const { clientId, clientSecret } = generated.data.generateAuthForApplication.params as { clientId: string; clientSecret: string };

    // RFC 8414 discovery at the stack's issuer, as the library does it (plain HTTP is the local stack only).
    const configure = (authentication: oauthClient.ClientAuth) =>
      oauthClient.discovery(new URL(stack!.baseUrl), clientId, undefined, authentication, {
        algorithm: 'oauth2',
        execute: [oauthClient.allowInsecureRequests],
      });
    const methods = { client_secret_post: oauthClient.ClientSecretPost, client_secret_basic: oauthClient.ClientSecretBasic };

    for (const [method, authentication] of Object.entries(methods)) {
      const granted = await oauthClient.clientCredentialsGrant(await configure(authentication(clientSecret)));
      expect({ method, tokenType: granted.token_type, scope: granted.scope }).toEqual({ method, tokenType: 'bearer', scope: 'application:read' });
      expect(granted.access_token).toEqual(expect.any(String));
    }

    // client_secret_post: a 401 without a challenge, which the library reports as the OAuth error itself.
    const postRefused = await oauthClient.clientCredentialsGrant(await configure(oauthClient.ClientSecretPost(`${clientSecret}x`))).catch((error: unknown) => error);
    expect(postRefused).toBeInstanceOf(oauthClient.ResponseBodyError);
    expect(postRefused).toMatchObject({ status: 401, error: 'invalid_client' });

    // client_secret_basic: RFC 6749 5.2 asks for a challenge of the scheme used, which the library surfaces as such.
    const basicRefused = await oauthClient.clientCredentialsGrant(await configure(oauthClient.ClientSecretBasic(`${clientSecret}x`))).catch((error: unknown) => error);
    expect(basicRefused).toBeInstanceOf(oauthClient.WWWAuthenticateChallengeError);
    expect(basicRefused).toMatchObject({ status: 401, cause: [expect.objectContaining({ scheme: 'basic' })] });
  });
});
