// The local mTLS endpoint, driven with the real curl and openssl: client certificates required at the handshake,
// API Gateway's REST event with identity.clientCert, certificate headers dropped, API Gateway's own answers.
// The Lambda endpoint behind it is a stand-in that records the events (serverless-offline's is used end to end).
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { startMtlsGateway, type MtlsGateway } from '../../../local/mtls-gateway';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-gateway-'));
const file = (name: string) => path.join(work, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A self-signed CA in <name>.pem / <name>.key. */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`), '-subj', `/O=Test/CN=${name}`, '-days', '30',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

/** A client certificate <name>.pem / <name>.key signed by the CA `ca`. */
function makeClient(name: string, ca: string): void {
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/O=Org/C=DE/CN=${name}`);
  fs.writeFileSync(file('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${ca}.pem`), '-CAkey', file(`${ca}.key`), '-CAcreateserial', '-days', '5',
    '-extfile', file('client.ext'), '-out', file(`${name}.pem`));
}

interface Invocation {
  functionName: string;
  event: APIGatewayProxyEvent;
}

/** Answers Lambda Invoke calls like serverless-offline's endpoint, with `reply` as the function's result. */
function startLambdaStandIn(reply: (invocation: Invocation) => { status?: number; functionError?: string; payload: unknown }) {
  const invocations: Invocation[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url ?? '');
      const invocation = { functionName: decodeURIComponent(match?.[1] ?? ''), event: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
      invocations.push(invocation);
      const answer = reply(invocation);
      response.writeHead(answer.status ?? 200, {
        'content-type': 'application/json',
        ...(answer.functionError ? { 'x-amz-function-error': answer.functionError } : {}),
      });
      response.end(JSON.stringify(answer.payload));
    });
  });
  return new Promise<{ endpoint: string; invocations: Invocation[]; stop: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        invocations,
        stop: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

interface CurlResult {
  exitCode: number;
  status: number;
  body: string;
  headers: string;
  stderr: string;
}

// Asynchronous on purpose: the endpoint runs in this very process, a blocking spawn would starve it.
async function curl(url: string, options: { cert?: string; method?: string; body?: string; bodyFile?: string; headers?: string[]; cacert?: string } = {}): Promise<CurlResult> {
  const headersFile = file(`headers-${Math.random().toString(36).slice(2)}`);
  const args = ['-sS', '--max-time', '15', '--cacert', options.cacert ?? gateway.serverCaFile, '-D', headersFile, '-o', '-', '-w', '\n%{http_code}'];
  if (options.cert) args.push('--cert', file(`${options.cert}.pem`), '--key', file(`${options.cert}.key`));
  if (options.method) args.push('-X', options.method);
  for (const header of options.headers ?? []) args.push('-H', header);
  if (options.body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', options.body);
  if (options.bodyFile) args.push('-H', 'content-type: application/json', '--data-binary', `@${options.bodyFile}`);
  args.push(url);
  const result = await new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve) => {
    execFile('curl', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      resolve({ exitCode: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
  const lines = result.stdout.split('\n');
  const status = Number(lines.pop());
  const headers = fs.existsSync(headersFile) ? fs.readFileSync(headersFile, 'utf8') : '';
  return { exitCode: result.exitCode, status, body: lines.join('\n'), headers, stderr: result.stderr };
}

let gateway: MtlsGateway;
let lambda: Awaited<ReturnType<typeof startLambdaStandIn>>;
let functionError = false;
const stateDir = file('state');

beforeAll(async () => {
  makeCa('pairing-ca');
  makeCa('other-ca');
  makeClient('app', 'pairing-ca');
  makeClient('stranger', 'other-ca');
  lambda = await startLambdaStandIn(({ functionName, event }) =>
    functionError
      ? { functionError: 'Unhandled', payload: { errorType: 'Error', errorMessage: 'secret detail' } }
      : {
          payload: {
            statusCode: 200,
            headers: { 'content-type': 'application/json', 'x-function': functionName },
            multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
            body: JSON.stringify({ path: event.path }),
            isBase64Encoded: false,
          },
        },
  );
  gateway = await startMtlsGateway({
    port: 0,
    lambdaEndpoint: lambda.endpoint,
    functionName: (name) => `pairing-service-local-${name}`,
    stateDir,
    pairingCaPem: fs.readFileSync(file('pairing-ca.pem'), 'utf8'),
    log: () => undefined,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await lambda?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  lambda.invocations.length = 0;
  functionError = false;
});

describe('the mTLS endpoint', () => {
  it('writes its server CA to <stateDir>/mtls-server-ca.pem and serves 127.0.0.1 and localhost under it', async () => {
    expect(gateway.serverCaFile).toBe(path.join(stateDir, 'mtls-server-ca.pem'));
    expect(fs.readFileSync(gateway.serverCaFile, 'utf8')).toBe(gateway.serverCaPem);
    const body = '{"query":"{ viewer { id } }"}';
    expect((await curl(`${gateway.url}/director/graphql`, { cert: 'app', body })).status).toBe(200);
    expect((await curl(`https://localhost:${gateway.port}/director/graphql`, { cert: 'app', body })).status).toBe(200);
  });

  it('invokes the route\'s function with the REST API event API Gateway builds, client certificate in identity.clientCert', async () => {
    const result = await curl(`${gateway.url}/connector/graphql?token=abc`, { cert: 'app', body: '{"query":"{ configuration { token { token } } }"}' });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ path: '/connector/graphql' });
    expect(result.headers).toMatch(/^x-function: pairing-service-local-connector\r?$/im);
    expect(result.headers).toMatch(/^set-cookie: a=1\r?$/im);
    expect(result.headers).toMatch(/^set-cookie: b=2\r?$/im);

    expect(lambda.invocations).toHaveLength(1);
    const { functionName, event } = lambda.invocations[0]!;
    expect(functionName).toBe('pairing-service-local-connector');
    const presented = new X509Certificate(fs.readFileSync(file('app.pem')));
    expect(event).toMatchObject({
      httpMethod: 'POST',
      path: '/connector/graphql',
      resource: '/connector/graphql',
      body: '{"query":"{ configuration { token { token } } }"}',
      isBase64Encoded: false,
      queryStringParameters: { token: 'abc' },
      multiValueQueryStringParameters: { token: ['abc'] },
      requestContext: { httpMethod: 'POST', path: '/connector/graphql', stage: 'local', identity: { sourceIp: '127.0.0.1' } },
    });
    const clientCert = event.requestContext.identity.clientCert!;
    expect(new X509Certificate(clientCert.clientCertPem).fingerprint256).toBe(presented.fingerprint256);
    expect(clientCert.subjectDN).toBe('CN=app,C=DE,O=Org');
    expect(clientCert.issuerDN).toBe('CN=pairing-ca,O=Test');
    expect(clientCert.serialNumber.replace(/:/g, '').toUpperCase()).toBe(presented.serialNumber.padStart(clientCert.serialNumber.replace(/:/g, '').length, '0'));
    expect(clientCert.validity).toEqual({ notBefore: presented.validFrom, notAfter: presented.validTo });
    expect(event.headers['X-Forwarded-Proto']).toBe('https');
    expect(event.headers['X-Forwarded-Port']).toBe(String(gateway.port));
  });

  it('drops certificate headers a client sends, and keeps the others', async () => {
    const spoofed = ['X-Client-Cert: spoof', 'Client-Id-From-Certificate: someone-else', 'Certificate-Data: spoof', 'X-SSL-Client-Cert: spoof', 'X-Forwarded-Client-Cert: spoof', 'X-Request-Note: kept'];
    await curl(`${gateway.url}/director/graphql`, { cert: 'app', body: '{}', headers: spoofed });
    const { event } = lambda.invocations[0]!;
    const names = [...Object.keys(event.headers), ...Object.keys(event.multiValueHeaders)].map((name) => name.toLowerCase());
    for (const name of ['x-client-cert', 'client-id-from-certificate', 'certificate-data', 'x-ssl-client-cert', 'x-forwarded-client-cert']) {
      expect(names).not.toContain(name);
    }
    expect(event.headers['X-Request-Note']).toBe('kept');
  });

  it('refuses a connection without a client certificate at the TLS handshake (no HTTP answer, no invocation)', async () => {
    const result = await curl(`${gateway.url}/director/graphql`, { body: '{}' });
    expect(result.exitCode).not.toBe(0);
    expect(result.status).toBe(0);
    expect(lambda.invocations).toHaveLength(0);
  });

  it('refuses a client certificate of another CA at the TLS handshake', async () => {
    const result = await curl(`${gateway.url}/director/graphql`, { cert: 'stranger', body: '{}' });
    expect(result.exitCode).not.toBe(0);
    expect(result.status).toBe(0);
    expect(lambda.invocations).toHaveLength(0);
  });

  it('setTrustedCas changes the truststore without a restart: both CAs, then the other alone (rotate-ca, retire-ca)', async () => {
    const pairingCa = fs.readFileSync(file('pairing-ca.pem'), 'utf8');
    const otherCa = fs.readFileSync(file('other-ca.pem'), 'utf8');
    try {
      gateway.setTrustedCas(otherCa + pairingCa);
      expect((await curl(`${gateway.url}/director/graphql`, { cert: 'stranger', body: '{}' })).status).toBe(200);
      expect((await curl(`${gateway.url}/director/graphql`, { cert: 'app', body: '{}' })).status).toBe(200);
      gateway.setTrustedCas(otherCa);
      const refused = await curl(`${gateway.url}/director/graphql`, { cert: 'app', body: '{}' });
      expect(refused.exitCode).not.toBe(0);
      expect(refused.status).toBe(0);
    } finally {
      gateway.setTrustedCas(pairingCa);
    }
  });

  it('routes POST /oauth2/token to the oauth function with the client certificate (RFC 8705 tls_client_auth)', async () => {
    const result = await curl(`${gateway.url}/oauth2/token`, { cert: 'app', body: 'grant_type=client_credentials&client_id=app' });
    expect(result.status).toBe(200);
    expect(result.headers).toMatch(/^x-function: pairing-service-local-oauth\r?$/im);
    const { functionName, event } = lambda.invocations[0]!;
    expect(functionName).toBe('pairing-service-local-oauth');
    expect(event).toMatchObject({ httpMethod: 'POST', path: '/oauth2/token', resource: '/oauth2/token', body: 'grant_type=client_credentials&client_id=app' });
    expect(new X509Certificate(event.requestContext.identity.clientCert!.clientCertPem).fingerprint256).toBe(new X509Certificate(fs.readFileSync(file('app.pem'))).fingerprint256);
  });

  it('answers paths and methods it does not route with API Gateway\'s 403 {"message":"Missing Authentication Token"}', async () => {
    for (const [url, method] of [[`${gateway.url}/.well-known/jwks.json`, 'POST'], [`${gateway.url}/`, 'GET'], [`${gateway.url}/oauth2/token`, 'GET']] as const) {
      const result = await curl(url, { cert: 'app', method, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(result.status).toBe(403);
      expect(JSON.parse(result.body)).toEqual({ message: 'Missing Authentication Token' });
    }
    expect(lambda.invocations).toHaveLength(0);
  });

  it('refuses bodies over 100 KB with 413 before invoking anything', async () => {
    const big = file('big.json');
    fs.writeFileSync(big, JSON.stringify({ query: `{ viewer { id } }${' '.repeat(100 * 1024)}` }));
    const result = await curl(`${gateway.url}/director/graphql`, { cert: 'app', bodyFile: big });
    expect(result.status).toBe(413);
    expect(lambda.invocations).toHaveLength(0);
  });

  it('answers a failing function with 502 and none of its error text', async () => {
    functionError = true;
    const result = await curl(`${gateway.url}/director/graphql`, { cert: 'app', body: '{}' });
    expect(result.status).toBe(502);
    expect(result.body).toBe('{"message":"Internal server error"}');
  });

  it('keeps its server CA across restarts of the same state dir, and another state dir gets its own', async () => {
    const again = await startMtlsGateway({
      port: 0,
      lambdaEndpoint: lambda.endpoint,
      functionName: (name) => name,
      stateDir,
      pairingCaPem: fs.readFileSync(file('pairing-ca.pem'), 'utf8'),
    });
    const elsewhere = await startMtlsGateway({
      port: 0,
      lambdaEndpoint: lambda.endpoint,
      functionName: (name) => name,
      stateDir: file('other-state'),
      pairingCaPem: fs.readFileSync(file('pairing-ca.pem'), 'utf8'),
    });
    try {
      expect(again.serverCaPem).toBe(gateway.serverCaPem);
      expect(elsewhere.serverCaPem).not.toBe(gateway.serverCaPem);
      expect((fs.statSync(path.join(stateDir, 'mtls-server-ca-key.pem')).mode & 0o777).toString(8)).toBe('600');
      // A client trusting one state dir's CA does not trust the other's endpoint.
      const wrongCa = await curl(`${elsewhere.url}/director/graphql`, { cert: 'app', body: '{}', cacert: gateway.serverCaFile });
      expect(wrongCa.exitCode).toBe(60);
    } finally {
      await again.stop();
      await elsewhere.stop();
    }
  });

  it('stops listening when stopped', async () => {
    const extra = await startMtlsGateway({
      port: 0,
      lambdaEndpoint: lambda.endpoint,
      functionName: (name) => name,
      stateDir,
      pairingCaPem: fs.readFileSync(file('pairing-ca.pem'), 'utf8'),
    });
    expect((await curl(`${extra.url}/director/graphql`, { cert: 'app', body: '{}' })).status).toBe(200);
    await extra.stop();
    const after = await curl(`${extra.url}/director/graphql`, { cert: 'app', body: '{}' });
    expect(after.exitCode).toBe(7); // curl: failed to connect
  });
});
