// Benchmark: throughput and latency of the mTLS Director read and of renewal with 1 and with 8 keep-alive clients,
// through a local stack it starts itself (the real mTLS endpoint, serverless-offline and the handlers).
import fs from 'node:fs';
import https from 'node:https';
import { startLocalStack, tokenGrant } from '../test/support/local-stack';
import { keyAndCsr } from './application-keys';
import type { BenchSection } from './run';

/** How long each measured run lasts (BENCH_LOAD_SECONDS); bounded in time, it stops by itself. */
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const CLIENTS = [1, 8];

interface Credentials {
  certificatePem: string;
  keyPem: string;
  subject: string;
}

// Answers are read field by field, as a client would.
async function postJson(url: string, headers: Record<string, string>, body: unknown): Promise<Record<string, any>> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, any>;
  if (response.status !== 200 || json.errors) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

/** Pairs one application with a certificate through the token-secured Connector, as an application does. */
async function pairedCertificate(baseUrl: string, accessToken: string): Promise<Credentials> {
  const director = `${baseUrl}/director/graphql`;
  const bearer = { Authorization: `Bearer ${accessToken}` };
  const app = await postJson(director, bearer, { query: 'mutation($n: String!) { registerApplication(in: {name: $n}) { id } }', variables: { n: `load-${Date.now()}` } });
  const paired = await postJson(director, bearer, {
    query: 'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { params } }',
    variables: { id: app.data.registerApplication.id },
  });
  const { token, connectorURL } = paired.data.generateAuthForApplication.params as { token: string; connectorURL: string };
  const configured = await postJson(connectorURL, { 'Connector-Token': token }, { query: '{ configuration { token { token } certificateSigningRequestInfo { subject } } }' });
  const subject = String(configured.data.configuration.certificateSigningRequestInfo.subject);
  const { keyPem, csr } = keyAndCsr(subject);
  const signed = await postJson(connectorURL, { 'Connector-Token': configured.data.configuration.token.token }, {
    query: 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }',
    variables: { csr },
  });
  return { certificatePem: Buffer.from(String(signed.data.signCertificateSigningRequest.clientCertificate), 'base64').toString('utf8'), keyPem, subject };
}

/** One POST over a keep-alive mTLS connection; resolves with the status. */
function mtlsPost(agent: https.Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

/** `clients` loops each sending requests one after another for SECONDS; throughput and latency quantiles. */
async function load(clients: number, send: () => Promise<number>): Promise<{ perSecond: number; p50: number; p99: number; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < deadline) {
      const start = process.hrtime.bigint();
      const status = await send().catch(() => 0);
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (status !== 200) failed++;
    }
  }));
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / SECONDS, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failed };
}

export const mtlsLoadBench: BenchSection = {
  name: 'mTLS read and renewal under load (1 and 8 keep-alive clients, through npm start)',
  async run() {
    if (!Number.isFinite(SECONDS) || SECONDS <= 0) throw new Error(`BENCH_LOAD_SECONDS must be a positive number, got ${process.env.BENCH_LOAD_SECONDS}`);
    const stack = await startLocalStack({ name: 'mtls-load-bench' });
    try {
      const grant = await tokenGrant(stack.admin.tokenUrl, stack.admin.clientId, stack.admin.clientSecret);
      const credentials = await pairedCertificate(stack.baseUrl, String(grant.body.access_token));
      const ca = fs.readFileSync(stack.serverCaFile);
      // Renewals all use one CSR: key generation is the application's work, not the service's.
      const { csr } = keyAndCsr(credentials.subject);
      const operations = [
        { name: 'mTLS Director read', path: '/director/graphql', body: JSON.stringify({ query: '{ viewer { id } }' }) },
        { name: 'renewal', path: '/connector/graphql', body: JSON.stringify({ query: 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }', variables: { csr } }) },
      ];
      const summary: string[] = [];
      for (const operation of operations) {
        const figures: Record<number, Awaited<ReturnType<typeof load>>> = {};
        for (const clients of CLIENTS) {
          const agent = new https.Agent({ keepAlive: true, maxSockets: clients, ca, cert: credentials.certificatePem, key: credentials.keyPem });
          try {
            await load(clients, () => mtlsPost(agent, `${stack.mtlsUrl}${operation.path}`, operation.body)); // warm-up run, not reported
            figures[clients] = await load(clients, () => mtlsPost(agent, `${stack.mtlsUrl}${operation.path}`, operation.body));
          } finally {
            agent.destroy();
          }
          const f = figures[clients]!;
          console.log(`  ${operation.name}, ${clients} client(s): ${f.perSecond.toFixed(1)}/s, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms${f.failed ? `, ${f.failed} failed` : ''}`);
        }
        const ratio = figures[8]!.perSecond / figures[1]!.perSecond;
        console.log(`  ${operation.name}: 8 clients give ${ratio.toFixed(2)}x the throughput of 1`);
        summary.push(`${operation.name} 8/1 ${ratio.toFixed(2)}x`);
      }
      return summary.join(', ');
    } finally {
      await stack.stop();
    }
  },
};
