// Benchmark: latency of a full certificate pairing (register, generateAuth CLIENT_CERTIFICATE, configuration, signCSR) through a running local stack.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { projectRoot } from '../local/aws-services';
import type { AdminFile } from '../local/stack-file';
import { startLocalStack } from '../test/support/local-stack';
import type { BenchSection } from './run';

/** Measured pairings (BENCH_PAIRINGS), after WARM_UP unmeasured ones that let serverless-offline build and load the functions. */
const PAIRINGS = Number(process.env.BENCH_PAIRINGS ?? 50);
const WARM_UP = 3;

interface Target {
  baseUrl: string;
  admin: AdminFile;
  stop(): Promise<void>;
}

/** BENCH_BASE_URL with the administrator of LOCAL_STATE_DIR (default .local), or a fresh `npm start` on free ports. */
async function target(): Promise<Target> {
  const given = process.env.BENCH_BASE_URL;
  if (given) {
    const adminFile = path.resolve(projectRoot, process.env.LOCAL_STATE_DIR || '.local', 'admin.json');
    const admin = JSON.parse(fs.readFileSync(adminFile, 'utf8')) as AdminFile;
    return { baseUrl: given.replace(/\/+$/, ''), admin, stop: async () => {} };
  }
  return startLocalStack({ name: 'pairing-bench' });
}

// GraphQL and OAuth answers are read field by field, as a client would, hence `any`.
async function post(url: string, headers: Record<string, string>, body: string): Promise<Record<string, any>> {
  const response = await fetch(url, { method: 'POST', headers, body });
  const json = (await response.json()) as Record<string, any>;
  if (response.status !== 200 || json.errors) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

const graphql = (url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}) =>
  post(url, { 'Content-Type': 'application/json', ...headers }, JSON.stringify({ query, variables }));

/** The client's key, parsed once: CSR creation is the application's work and is not timed. */
function csrMaker(): (subject: string) => string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  return (subject) => {
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = publicKey;
    csr.setSubject(subject.split(',').map((part) => {
      const [shortName, ...value] = part.split('=');
      return { shortName, value: value.join('=') };
    }));
    csr.sign(key, forge.md.sha256.create());
    return Buffer.from(forge.pki.certificationRequestToPem(csr)).toString('base64');
  };
}

/** One full pairing; returns the milliseconds spent in the four requests. */
async function pairOnce(baseUrl: string, accessToken: string, makeCsr: (subject: string) => string, n: number): Promise<number> {
  const director = `${baseUrl}/director/graphql`;
  const bearer = { Authorization: `Bearer ${accessToken}` };
  let spent = 0;
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    const result = await work();
    spent += Number(process.hrtime.bigint() - start) / 1e6;
    return result;
  };
  const name = `bench-${process.pid}-${Date.now()}-${n}`;
  const registered = await timed(() =>
    graphql(director, bearer, 'mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name }),
  );
  const paired = await timed(() =>
    graphql(
      director,
      bearer,
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { params } }',
      { id: registered.data.registerApplication.id },
    ),
  );
  const { token, connectorURL } = paired.data.generateAuthForApplication.params as { token: string; connectorURL: string };
  const configuration = await timed(() =>
    graphql(connectorURL, { 'Connector-Token': token }, '{ configuration { token { token } certificateSigningRequestInfo { subject } } }'),
  );
  const { token: csrToken } = configuration.data.configuration.token as { token: string };
  const csr = makeCsr(configuration.data.configuration.certificateSigningRequestInfo.subject as string);
  await timed(() =>
    graphql(connectorURL, { 'Connector-Token': csrToken }, 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }', { csr }),
  );
  return spent;
}

/** The q-quantile by the nearest-rank method. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const pairingLatencyBench: BenchSection = {
  name: 'full certificate pairing through the local stack',
  async run() {
    if (!Number.isInteger(PAIRINGS) || PAIRINGS < 1) throw new Error(`BENCH_PAIRINGS must be a positive integer, got ${process.env.BENCH_PAIRINGS}`);
    const stack = await target();
    try {
      const form = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
      const basic = Buffer.from(`${encodeURIComponent(stack.admin.clientId)}:${encodeURIComponent(stack.admin.clientSecret)}`).toString('base64');
      const grant = await post(`${stack.baseUrl}/oauth2/token`, { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` }, form);
      const accessToken = String(grant.access_token);
      const makeCsr = csrMaker();
      for (let i = 0; i < WARM_UP; i++) await pairOnce(stack.baseUrl, accessToken, makeCsr, -i - 1);
      const latencies: number[] = [];
      for (let i = 0; i < PAIRINGS; i++) latencies.push(await pairOnce(stack.baseUrl, accessToken, makeCsr, i));
      latencies.sort((a, b) => a - b);
      const p50 = quantile(latencies, 0.5);
      const p99 = quantile(latencies, 0.99);
      console.log(`  ${PAIRINGS} sequential pairings via ${stack.baseUrl} (4 requests each, CSR creation not timed): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
      return `pairing p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (${PAIRINGS} pairings)`;
    } finally {
      await stack.stop();
    }
  },
};
