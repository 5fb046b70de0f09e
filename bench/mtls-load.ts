// Benchmark: throughput and latency of the mTLS Director read and of renewal with 1 and with 8 keep-alive clients,
// through a local stack it starts itself (the real mTLS endpoint, serverless-offline and the handlers).
import fs from 'node:fs';
import https from 'node:https';
import { CreateKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { CA_KEY_SPEC, CA_SIGNING_ALGORITHM } from '../shared/certificates/ca';
import { startLocalStack, tokenGrant } from '../test/support/local-stack';
import { keyAndCsr } from './application-keys';
import { cpuSnapshot, cpuSplit, type CpuSplit } from './process-cpu';
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
async function pairedCertificate(baseUrl: string, accessToken: string, index: number): Promise<Credentials> {
  const director = `${baseUrl}/director/graphql`;
  const bearer = { Authorization: `Bearer ${accessToken}` };
  const app = await postJson(director, bearer, { query: 'mutation($n: String!) { registerApplication(in: {name: $n}) { id } }', variables: { n: `load-${Date.now()}-${index}` } });
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
export interface LoadFigures {
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
  requests: number;
  /** What the failures were: "HTTP 503", or the client's error code (e.g. ECONNRESET), with how many of each. */
  failures?: Record<string, number>;
}

/** `send(client)` is called by client number 0 .. clients-1. */
async function load(clients: number, send: (client: number) => Promise<number>): Promise<LoadFigures> {
  const latencies: number[] = [];
  let failed = 0;
  const failures: Record<string, number> = {};
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    while (Date.now() < deadline) {
      const start = process.hrtime.bigint();
      const outcome = await send(client).then((status) => (status === 200 ? undefined : `HTTP ${status}`), (error: { code?: string }) => error.code ?? 'error');
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (outcome !== undefined) {
        failed++;
        failures[outcome] = (failures[outcome] ?? 0) + 1;
      }
    }
  }));
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / SECONDS, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failed, requests: latencies.length, failures };
}

/**
 * Issue 27's targets for these figures (benchmark figures, not timed tests). Issue 12 asked 8 clients for 3x the
 * throughput of 1, which a machine of 2 shared cores cannot show: the target is now relative to the ceiling this
 * bench computes for the machine in the same run (throughputCeiling).
 */
export const TARGETS = {
  /** 8 clients reach at least this share of the ceiling. */
  minShareOfCeiling: 0.9,
  /** p99 at most this many times p50, in every run. */
  maxP99OverP50: 4,
  /** Single-client p50 of the mTLS Director read, ms (quiet machine). */
  readP50Ms: 3,
  /** Single-client p50 of renewal, ms, plus one KMS Sign round trip (measured in the same run). */
  renewalP50Ms: 10,
  /** Renewals at 8 clients, over bare KMS Sign calls at the same concurrency against the same KMS. */
  minRenewalsPerSign: 0.5,
} as const;

export type OperationName = 'mTLS Director read' | 'renewal';

export interface TargetCheck {
  target: string;
  figure: string;
  met: boolean;
}

/**
 * Each target against the figures of one operation: `signP50Ms` is the KMS Sign round trip renewal may add,
 * `ceilingPerSecond` the most this machine could serve at the operation's CPU cost (throughputCeiling).
 */
export function checkTargets(operation: OperationName, one: LoadFigures, eight: LoadFigures, measured: { signP50Ms: number; ceilingPerSecond: number }): TargetCheck[] {
  const { signP50Ms, ceilingPerSecond } = measured;
  const latencyBudget = operation === 'renewal' ? TARGETS.renewalP50Ms + signP50Ms : TARGETS.readP50Ms;
  const budgetText = operation === 'renewal' ? `${TARGETS.renewalP50Ms} ms + Sign ${signP50Ms.toFixed(1)} ms` : `${TARGETS.readP50Ms} ms`;
  const share = eight.perSecond / ceilingPerSecond;
  return [
    {
      target: `8 clients >= ${TARGETS.minShareOfCeiling * 100}% of the ceiling (${ceilingPerSecond.toFixed(0)}/s)`,
      figure: `${eight.perSecond.toFixed(1)}/s, ${(share * 100).toFixed(0)}%`,
      met: share >= TARGETS.minShareOfCeiling,
    },
    ...[
      [1, one],
      [8, eight],
    ].map(([clients, f]) => {
      const figures = f as LoadFigures;
      return {
        target: `p99 <= ${TARGETS.maxP99OverP50}x p50 with ${clients} client(s)`,
        figure: `${(figures.p99 / figures.p50).toFixed(1)}x`,
        met: figures.p99 <= TARGETS.maxP99OverP50 * figures.p50,
      };
    }),
    { target: `1-client p50 <= ${budgetText}`, figure: `${one.p50.toFixed(1)} ms`, met: one.p50 <= latencyBudget },
  ];
}

/** The design's own limit: renewals through the whole stack against bare KMS Sign calls, both at 8 concurrent callers. */
export function renewalsPerSignTarget(renewalsPerSecond: number, signsPerSecond: number): TargetCheck {
  const ratio = renewalsPerSecond / signsPerSecond;
  return {
    target: `renewals at 8 clients >= ${TARGETS.minRenewalsPerSign}x bare KMS Sign calls at 8`,
    figure: `${renewalsPerSecond.toFixed(1)}/s against ${signsPerSecond.toFixed(1)}/s, ${ratio.toFixed(2)}x`,
    met: ratio >= TARGETS.minRenewalsPerSign,
  };
}

/**
 * The most requests per second this machine can serve, whatever the concurrency, when each costs `cpuMs` of CPU over
 * all processes and `cores` cores are free for it; hence the highest 8/1 ratio that is possible.
 */
export function throughputCeiling(cpuMs: number, freeCores: number): number {
  return cpuMs > 0 ? (freeCores * 1000) / cpuMs : Infinity;
}

function describeCpu(split: CpuSplit): string {
  const parts = split.stack.filter((p) => p.msPerRequest >= 0.05).map((p) => `${p.part} ${p.msPerRequest.toFixed(1)}`);
  return (
    `    CPU ms per request: ${parts.join(', ')}; clients (this bench) ${split.clientsMsPerRequest.toFixed(1)}; ` +
    `total ${(split.stackMsPerRequest + split.clientsMsPerRequest).toFixed(1)}. Other work on the machine meanwhile: ` +
    `${split.elsewhereCores.toFixed(2)} of ${split.cores} cores`
  );
}

/**
 * Bare KMS Sign calls against the stack's KMS (moto) with a throwaway key of the CA's spec and algorithm: the p50 of
 * one at a time, and the rate of 8 concurrent callers for a run as long as the load's.
 */
async function kmsSignFigures(endpoint: string): Promise<{ p50: number; eightPerSecond: number }> {
  const kms = new KMSClient({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    const key = await kms.send(new CreateKeyCommand({ KeySpec: CA_KEY_SPEC, KeyUsage: 'SIGN_VERIFY', Description: 'bench: Sign round trip' }));
    const sign = () => kms.send(new SignCommand({ KeyId: key.KeyMetadata!.KeyId, Message: Buffer.alloc(700, 1), MessageType: 'RAW', SigningAlgorithm: CA_SIGNING_ALGORITHM }));
    for (let i = 0; i < 5; i++) await sign(); // warm-up: connection, moto's key cache
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = process.hrtime.bigint();
      await sign();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const eight = await load(8, async () => (await sign(), 200));
    return { p50: quantile(times.sort((a, b) => a - b), 0.5), eightPerSecond: eight.perSecond };
  } finally {
    kms.destroy();
  }
}

export const mtlsLoadBench: BenchSection = {
  name: 'mTLS read and renewal under load (1 and 8 keep-alive clients, through npm start)',
  async run() {
    if (!Number.isFinite(SECONDS) || SECONDS <= 0) throw new Error(`BENCH_LOAD_SECONDS must be a positive number, got ${process.env.BENCH_LOAD_SECONDS}`);
    // The load renews with one certificate thousands of times: the per-SystemAuth certificate limits (issue 15) would
    // refuse all but the first few, so this stack lifts them. Each renewal still takes its slots in both counters.
    const stack = await startLocalStack({ name: 'mtls-load-bench', env: { MAX_LIVE_CERTIFICATES: '1000000000', MAX_UNEXPIRED_CERTIFICATES: '1000000000' } });
    try {
      const grant = await tokenGrant(stack.admin.tokenUrl, stack.admin.clientId, stack.admin.clientSecret);
      // One application per client, as issue 27 asks: each client reads and renews its own, so concurrent renewals never
      // contend for one SystemAuth's items (its counters, its activation) as they would with one shared certificate.
      const credentials: Credentials[] = [];
      for (let index = 0; index < Math.max(...CLIENTS); index++) credentials.push(await pairedCertificate(stack.baseUrl, String(grant.body.access_token), index));
      const ca = fs.readFileSync(stack.serverCaFile);
      // Each application renews with one CSR: key generation is the application's work, not the service's.
      const renewalBodies = credentials.map(({ subject }) =>
        JSON.stringify({ query: 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }', variables: { csr: keyAndCsr(subject).csr } }),
      );
      const operations: Array<{ name: OperationName; path: string; bodies: string[] }> = [
        { name: 'mTLS Director read', path: '/director/graphql', bodies: credentials.map(() => JSON.stringify({ query: '{ viewer { id } }' })) },
        { name: 'renewal', path: '/connector/graphql', bodies: renewalBodies },
      ];
      const summary: string[] = [];
      const verdicts: string[] = [];
      for (const operation of operations) {
        const figures: Record<number, LoadFigures> = {};
        const cpu: Record<number, CpuSplit> = {};
        for (const clients of CLIENTS) {
          const agents = credentials.slice(0, clients).map((own) => new https.Agent({ keepAlive: true, maxSockets: 1, ca, cert: own.certificatePem, key: own.keyPem }));
          const send = (client: number) => mtlsPost(agents[client]!, `${stack.mtlsUrl}${operation.path}`, operation.bodies[client]!);
          try {
            await load(clients, send); // warm-up run, not reported
            const before = cpuSnapshot(stack.stackFile.pid);
            const startedAt = Date.now();
            figures[clients] = await load(clients, send);
            cpu[clients] = cpuSplit(before, cpuSnapshot(stack.stackFile.pid), figures[clients]!.requests, Date.now() - startedAt);
          } finally {
            for (const agent of agents) agent.destroy();
          }
          const f = figures[clients]!;
          console.log(`  ${operation.name}, ${clients} client(s): ${f.perSecond.toFixed(1)}/s, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms${f.failed ? `, ${f.failed} failed (${Object.entries(f.failures ?? {}).map(([what, count]) => `${what} x${count}`).join(', ')})` : ''}`);
          console.log(describeCpu(cpu[clients]!));
        }
        // The KMS Sign round trip renewal's latency budget allows, and bare Signs at 8, measured now, in the same conditions.
        const sign = operation.name === 'renewal' ? await kmsSignFigures(stack.stackFile.endpoints.kms) : undefined;
        if (sign) console.log(`  bare KMS Sign (moto): p50 ${sign.p50.toFixed(1)} ms one at a time, ${sign.eightPerSecond.toFixed(1)}/s with 8 concurrent callers`);
        const ratio = figures[8]!.perSecond / figures[1]!.perSecond;
        console.log(`  ${operation.name}: 8 clients give ${ratio.toFixed(2)}x the throughput of 1`);
        const eight = cpu[8]!;
        const costMs = eight.stackMsPerRequest + eight.clientsMsPerRequest;
        const freeCores = Math.max(0.1, eight.cores - eight.elsewhereCores);
        const ceiling = throughputCeiling(costMs, freeCores);
        console.log(
          `  ${operation.name}: at ${costMs.toFixed(1)} ms of CPU per request and ${freeCores.toFixed(2)} free cores this machine serves at most ` +
            `${ceiling.toFixed(0)}/s at any concurrency, i.e. at most ${(ceiling / figures[1]!.perSecond).toFixed(2)}x the 1-client throughput`,
        );
        const checks = checkTargets(operation.name, figures[1]!, figures[8]!, { signP50Ms: sign?.p50 ?? 0, ceilingPerSecond: ceiling });
        if (sign) checks.push(renewalsPerSignTarget(figures[8]!.perSecond, sign.eightPerSecond));
        for (const check of checks) {
          console.log(`  target ${operation.name}: ${check.target}: ${check.figure} ${check.met ? 'met' : 'NOT MET'}`);
          if (!check.met) verdicts.push(`${operation.name}: ${check.target}`);
        }
        summary.push(`${operation.name} 8/1 ${ratio.toFixed(2)}x`);
      }
      summary.push(verdicts.length ? `targets not met: ${verdicts.join('; ')}` : 'load targets met');
      return summary.join(', ');
    } finally {
      await stack.stop();
    }
  },
};
