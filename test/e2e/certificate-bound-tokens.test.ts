// End to end against `npm start`: certificate-bound access tokens (RFC 8705). openid-client, unmodified, gets a token with
// tls_client_auth at the mTLS endpoint; the Director accepts it only with that certificate; the README's jose verifier
// (run from the README itself) accepts it in a resource server that terminates TLS, and refuses a replay.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as oauthClient from 'openid-client';
import ts from 'typescript';
import { postJson } from '../support/clients';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, type LocalStack } from '../support/local-stack';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../..');
const BIN = path.join(root, 'agent', 'bin', 'pairing-agent.js');

let stack: LocalStack;
let work: string;
let adminToken: string;

interface Paired {
  dir: string;
  appId: string;
  systemAuthId: string;
  cert: string;
  key: string;
  /** The pairing CA the certificate chains to. */
  ca: string;
}

const director = (query: string, variables: Record<string, unknown> = {}) =>
  postJson(`${stack.baseUrl}/director/graphql`, { Authorization: `Bearer ${adminToken}` }, { query, variables });

/** The agent's command line, as `npx pairing-agent` runs it. */
function agent(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** An application paired with a certificate by the pairing agent (`pairing-agent pair`), as its operator would. */
async function paired(name: string): Promise<Paired> {
  const registered = await director('mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name });
  const appId = registered.data.registerApplication.id as string;
  const answer = await director(
    'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { type systemAuthID params expiresAt } }',
    { id: appId },
  );
  const dir = path.join(work, name);
  const result = await agent(['pair', '--dir', dir, '--server-ca', stack.serverCaFile], JSON.stringify(answer));
  expect(result).toMatchObject({ code: 0 });
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  return { dir, appId, systemAuthId: JSON.parse(result.stdout).systemAuthId, cert: read('cert.pem'), key: read('key.pem'), ca: read('ca.pem') };
}

/**
 * openid-client's customFetch over node:https with the application's certificate: the fetch of Node has no client
 * certificate option, and this is the hook openid-client documents for mTLS. Plain http (the local base URL) goes as is.
 */
function fetchPresenting(agent: https.Agent): oauthClient.CustomFetch {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const request = (target.protocol === 'https:' ? https : http).request(
        target,
        { method: options.method, headers: Object.fromEntries(new Headers(options.headers)), ...(target.protocol === 'https:' ? { agent } : {}) },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
            resolve(new Response(Buffer.concat(chunks), { status: response.statusCode, headers }));
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(options.body === undefined || options.body === null ? undefined : String(options.body));
    });
}

/** POST a GraphQL query to `url` with the token, over `agent` (mTLS) or plain HTTP. */
function graphql(url: string, accessToken: string, agent?: https.Agent) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are compared field by field
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: { data?: any; errors?: Array<{ message: string; extensions: { code: string } }> } }>((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(
      target,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, ...(agent ? { agent } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ query: '{ viewer { id } }' }));
  });
}

const agentOf = (app: Paired) => new https.Agent({ cert: app.cert, key: app.key, ca: fs.readFileSync(stack.serverCaFile, 'utf8') });

/** openid-client, unmodified: discovery, tls_client_auth, the token endpoint's mTLS alias. */
async function boundToken(app: Paired): Promise<string> {
  const configuration = await oauthClient.discovery(new URL(stack.baseUrl), app.systemAuthId, { use_mtls_endpoint_aliases: true }, oauthClient.TlsClientAuth(), {
    algorithm: 'oauth2', // RFC 8414 metadata (no OpenID Connect)
    execute: [oauthClient.allowInsecureRequests], // the local base URL is plain http
  });
  configuration[oauthClient.customFetch] = fetchPresenting(agentOf(app));
  const grant = await oauthClient.clientCredentialsGrant(configuration);
  return grant.access_token;
}

type Verifier = (accessToken: string, clientCertificate: X509Certificate | undefined) => Promise<Record<string, unknown>>;

/** The README's resource-server code block, compiled as it stands. */
function readmeVerifier(issuer: string, stage: string): Verifier {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /<!-- bound-token-verifier -->\n```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no bound-token-verifier block');
  const js = ts.transpileModule(block, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const exports: Record<string, unknown> = {};
  new Function('require', 'exports', js)(require, exports);
  return (exports.boundTokenVerifier as (issuer: string, stage: string) => Verifier)(issuer, stage);
}

/** A resource server that terminates TLS with client certificates of the pairing CA and runs the README's verifier. */
async function resourceServer(pairingCa: string, verify: Verifier) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'rs.key', '-out', 'rs.pem', '-subj', '/CN=resource-server', '-days', '1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: work, stdio: 'ignore' });
  const server = https.createServer(
    { key: fs.readFileSync(path.join(work, 'rs.key')), cert: fs.readFileSync(path.join(work, 'rs.pem')), ca: pairingCa, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      request.resume();
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      verify(token, (request.socket as import('node:tls').TLSSocket).getPeerX509Certificate()).then(
        (claims) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: claims.sub })),
        (error: Error) => response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end(JSON.stringify({ error: error.message })),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, serverCa: fs.readFileSync(path.join(work, 'rs.pem'), 'utf8'), close: () => server.close() };
}

beforeAll(async () => {
  stack = await startLocalStack({ name: 'bound-tokens-e2e' });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bound-tokens-'));
  adminToken = await adminAccessToken(stack);
}, START_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await stack?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('certificate-bound access tokens (RFC 8705) against npm start', () => {
  it('discovery announces tls_client_auth, bound tokens and the mTLS token endpoint', async () => {
    const metadata = (await (await fetch(`${stack.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      tls_client_certificate_bound_access_tokens: true,
      mtls_endpoint_aliases: { token_endpoint: `${stack.mtlsUrl}/oauth2/token` },
      token_endpoint_auth_methods_supported: expect.arrayContaining(['tls_client_auth']),
    });
  });

  it('openid-client gets a bound token; the Director takes it only with its certificate; the README verifier agrees', async () => {
    const app = await paired('bound-a');
    const other = await paired('bound-b');
    const token = await boundToken(app);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    const thumbprint = createHash('sha256').update(new X509Certificate(app.cert).raw).digest('base64url');
    expect(claims).toMatchObject({ sub: app.systemAuthId, app_id: app.appId, client_kind: 'APPLICATION', scope: 'application:read', cnf: { 'x5t#S256': thumbprint } });
    // The closing note's evidence: a bound token's claims.
    process.stdout.write(`bound token claims: ${JSON.stringify(claims)}\n`);

    const accepted = await graphql(`${stack.mtlsUrl}/director/graphql`, token, agentOf(app));
    expect(accepted).toMatchObject({ status: 200, body: { data: { viewer: { id: app.appId } } } });

    const replayed = await graphql(`${stack.baseUrl}/director/graphql`, token);
    expect(replayed.status).toBe(401);
    expect(replayed.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="This access token is bound to a client certificate/);
    process.stdout.write(`refused replay: HTTP ${replayed.status} www-authenticate: ${replayed.headers['www-authenticate']}\n`);
    const withOther = await graphql(`${stack.mtlsUrl}/director/graphql`, token, agentOf(other));
    expect(withOther.status).toBe(401);
    expect(withOther.headers['www-authenticate']).toMatch(/bound to another client certificate/);

    // A resource server of its own, with the README's jose code.
    const rs = await resourceServer(app.ca, readmeVerifier(stack.baseUrl, 'local'));
    try {
      const callRs = (presenting: Paired) =>
        new Promise<number>((resolve, reject) => {
          https
            .request(rs.url, { method: 'GET', headers: { authorization: `Bearer ${token}` }, cert: presenting.cert, key: presenting.key, ca: rs.serverCa, agent: false }, (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            })
            .on('error', reject)
            .end();
        });
      expect(await callRs(app)).toBe(200);
      expect(await callRs(other)).toBe(401);
    } finally {
      rs.close();
    }
  });

  it('pairing-agent token --mtls prints a token bound to the live certificate, cached until a renewal', async () => {
    const app = await paired('bound-agent');
    const first = await agent(['token', '--mtls', '--dir', app.dir]);
    expect(first).toMatchObject({ code: 0 });
    const token = JSON.parse(first.stdout);
    const serial = new X509Certificate(app.cert).serialNumber.toLowerCase();
    expect(token).toMatchObject({ token_type: 'Bearer', scope: 'application:read', certificate_serial: serial, access_token: expect.any(String) });
    const thumbprint = createHash('sha256').update(new X509Certificate(app.cert).raw).digest('base64url');
    expect(JSON.parse(Buffer.from(token.access_token.split('.')[1], 'base64url').toString('utf8')).cnf).toEqual({ 'x5t#S256': thumbprint });
    expect(JSON.parse((await agent(['token', '--mtls', '--dir', app.dir])).stdout).access_token).toBe(token.access_token);
    expect(await graphql(`${stack.mtlsUrl}/director/graphql`, token.access_token, agentOf(app))).toMatchObject({ status: 200, body: { data: { viewer: { id: app.appId } } } });

    expect(await agent(['renew', '--force', '--dir', app.dir, '--retire-after', '0'])).toMatchObject({ code: 0 });
    const renewed = JSON.parse((await agent(['token', '--mtls', '--dir', app.dir])).stdout);
    expect(renewed.certificate_serial).not.toBe(serial);
    expect(renewed.access_token).not.toBe(token.access_token);
  });

  it('refuses an OAuth client\'s id with a certificate (invalid_client), and the token once its certificate is revoked (invalid_token)', async () => {
    const app = await paired('bound-c');
    const token = await boundToken(app);
    const registered = await director('mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name: 'bound-oauth' });
    const generated = await director(
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { systemAuthID } }',
      { id: registered.data.registerApplication.id },
    );
    await expect(boundToken({ ...app, systemAuthId: generated.data.generateAuthForApplication.systemAuthID })).rejects.toMatchObject({ error: 'invalid_client' });

    const revoke = await new Promise<number>((resolve, reject) => {
      https
        .request(`${stack.mtlsUrl}/connector/graphql`, { method: 'POST', agent: agentOf(app), headers: { 'content-type': 'application/json' } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
        .on('error', reject)
        .end(JSON.stringify({ query: 'mutation { revokeCertificate }' }));
    });
    expect(revoke).toBe(200);
    const afterRevocation = await graphql(`${stack.mtlsUrl}/director/graphql`, token, agentOf(app));
    expect(afterRevocation.status).toBe(401);
    expect(afterRevocation.headers['www-authenticate']).toMatch(/invalid_token.*has been revoked/);
  });
});
