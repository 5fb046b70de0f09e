// The local mTLS endpoint under concurrent keep-alive clients: it invokes the functions of concurrent requests at the
// same time (serverless-offline gives each its own worker) and keeps its connections to the Lambda endpoint alive.
// Real TLS with openssl-made certificates; the Lambda endpoint is a stand-in that counts what reaches it (the whole
// stack's figures are in `npm run bench -- load`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAX_CONCURRENT_INVOCATIONS, startMtlsGateway, type MtlsGateway } from '../../../local/mtls-gateway';

const CLIENTS = 8;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-concurrency-'));
const file = (name: string) => path.join(work, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * A Lambda endpoint that holds each invocation until `hold` of them are in flight (or `maxWaitMs` passed, so that a
 * gateway which sends one at a time still gets answers, only late), and counts connections and invocations.
 */
function startHoldingLambda(defaultMaxWaitMs: number) {
  let hold = 1;
  let maxWaitMs = defaultMaxWaitMs;
  let inFlight = 0;
  let maxInFlight = 0;
  let connections = 0;
  let invocations = 0;
  let waiting: Array<() => void> = [];
  const releaseAll = () => {
    const now = waiting;
    waiting = [];
    for (const release of now) release();
  };
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      invocations++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const answer = () => {
        inFlight--;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{}}' }));
      };
      const timer = setTimeout(() => {
        waiting = waiting.filter((release) => release !== releaseThis);
        answer();
      }, maxWaitMs);
      const releaseThis = () => {
        clearTimeout(timer);
        answer();
      };
      waiting.push(releaseThis);
      if (waiting.length >= hold) releaseAll();
    });
  });
  server.on('connection', () => connections++);
  return new Promise<{
    endpoint: string;
    /** Holds invocations until `n` are in flight, each at most `waitMs` (the default given at start unless told). */
    holdUntil(n: number, waitMs?: number): void;
    /** Answers every held invocation now, and every later one at once. */
    releaseAll(): void;
    stats(): { maxInFlight: number; inFlight: number; connections: number; invocations: number };
    reset(): void;
    stop(): Promise<void>;
  }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        holdUntil: (n, waitMs = defaultMaxWaitMs) => {
          hold = n;
          maxWaitMs = waitMs;
        },
        releaseAll: () => {
          hold = 1;
          releaseAll();
        },
        stats: () => ({ maxInFlight, inFlight, connections, invocations }),
        reset: () => {
          maxInFlight = 0;
          invocations = 0;
          hold = 1;
          maxWaitMs = defaultMaxWaitMs;
        },
        stop: () => {
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

let gateway: MtlsGateway;
let lambda: Awaited<ReturnType<typeof startHoldingLambda>>;
let agent: https.Agent;

/** One POST over the clients' keep-alive connections; resolves with the status. */
function post(): Promise<number> {
  const body = '{"query":"{ viewer { id } }"}';
  return new Promise((resolve, reject) => {
    const request = https.request(`${gateway.url}/director/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-subj', '/O=Test/CN=pairing-ca', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('app.key'), '-out', file('app.csr'), '-subj', '/O=Org/C=DE/CN=app');
  fs.writeFileSync(file('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', file('app.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('client.ext'), '-out', file('app.pem'));
  lambda = await startHoldingLambda(1000);
  gateway = await startMtlsGateway({
    port: 0,
    lambdaEndpoint: lambda.endpoint,
    functionName: (name) => `pairing-service-local-${name}`,
    stateDir: file('state'),
    pairingCaPem: fs.readFileSync(file('ca.pem'), 'utf8'),
    log: () => undefined,
  });
  agent = new https.Agent({ keepAlive: true, maxSockets: CLIENTS, ca: gateway.serverCaPem, cert: fs.readFileSync(file('app.pem')), key: fs.readFileSync(file('app.key')) });
});

afterAll(async () => {
  agent?.destroy();
  await gateway?.stop();
  await lambda?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

beforeEach(() => lambda.reset());

describe('the mTLS endpoint with concurrent keep-alive clients', () => {
  test(`has the invocations of ${CLIENTS} concurrent requests in flight at once`, async () => {
    lambda.holdUntil(CLIENTS);
    const statuses = await Promise.all(Array.from({ length: CLIENTS }, () => post()));
    expect(statuses).toEqual(Array(CLIENTS).fill(200));
    // One at a time would be 1 here (each then answered after the stand-in's 1 s wait).
    expect(lambda.stats().maxInFlight).toBe(CLIENTS);
  });

  test('keeps its connections to the Lambda endpoint alive: three rounds of concurrent requests, one connection per request in flight', async () => {
    lambda.holdUntil(CLIENTS);
    const before = lambda.stats().connections;
    for (let round = 0; round < 3; round++) {
      expect(await Promise.all(Array.from({ length: CLIENTS }, () => post()))).toEqual(Array(CLIENTS).fill(200));
    }
    expect(lambda.stats().invocations).toBe(3 * CLIENTS);
    // The first test's connections are still open and reused: no new ones at all (a connection per request: 24).
    expect(lambda.stats().connections - before).toBe(0);
    expect(lambda.stats().connections).toBeLessThanOrEqual(CLIENTS);
  });

  test(`bounds the invocations in flight at ${MAX_CONCURRENT_INVOCATIONS}; the requests beyond wait for a connection and are answered`, async () => {
    const many = MAX_CONCURRENT_INVOCATIONS + 8;
    // Never reached: every invocation is held (up to 30 s) until the endpoint has as many in flight as it will send.
    lambda.holdUntil(many, 30_000);
    const wide = new https.Agent({ keepAlive: true, maxSockets: many, ca: gateway.serverCaPem, cert: fs.readFileSync(file('app.pem')), key: fs.readFileSync(file('app.key')) });
    try {
      const body = '{"query":"{ viewer { id } }"}';
      const answered = Promise.all(
        Array.from(
          { length: many },
          () =>
            new Promise<number>((resolve, reject) => {
              const request = https.request(`${gateway.url}/director/graphql`, { method: 'POST', agent: wide, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
                response.resume();
                response.on('end', () => resolve(response.statusCode ?? 0));
              });
              request.on('error', reject);
              request.end(body);
            }),
        ),
      );
      // Wait (on a loaded machine too) for the bound to fill, then a moment longer for any invocation beyond it.
      for (let waited = 0; lambda.stats().inFlight < MAX_CONCURRENT_INVOCATIONS && waited < 25_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      const heldAtOnce = lambda.stats().maxInFlight;
      lambda.releaseAll();
      const statuses = await answered;
      expect(statuses).toEqual(Array(many).fill(200));
      expect(heldAtOnce).toBe(MAX_CONCURRENT_INVOCATIONS);
      expect(lambda.stats().maxInFlight).toBe(MAX_CONCURRENT_INVOCATIONS);
      expect(lambda.stats().invocations).toBe(many);
    } finally {
      wide.destroy();
    }
  });
});
