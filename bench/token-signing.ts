// Benchmark: the token grant now that the signature is KMS's (moto locally): latency of one KMS Sign, of one grant through
// the oauth handler in-process, and what KMS charges per signature at list price.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { startBenchAws } from './local-aws';
import { US_EAST_1_PRICES } from './cost-model';
import type { BenchSection } from './run';
import { config } from '../shared/config';

const STAGE = 'bench-tokens';
/** Measured calls of each kind (BENCH_TOKEN_GRANTS), after a few unmeasured ones that warm caches and connections. */
const COUNT = Number(process.env.BENCH_TOKEN_GRANTS ?? 100);
const WARM_UP = 5;

/** KMS's list price of a P-256 Sign (asymmetric request other than RSA_2048), USD per 10,000: the cost model's price list. */
const USD_PER_10K_ASYMMETRIC_REQUESTS = US_EAST_1_PRICES.kmsAsymmetricPer10k;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function timed(count: number, call: () => Promise<unknown>): Promise<{ p50: number; p95: number; mean: number }> {
  for (let i = 0; i < WARM_UP; i++) await call();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await call();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), mean: latencies.reduce((a, b) => a + b, 0) / latencies.length };
}

export const tokenSigningBench: BenchSection = {
  name: 'token grant with the signature from KMS (handler in-process, moto KMS)',
  async run() {
    if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error(`BENCH_TOKEN_GRANTS must be a positive integer, got ${process.env.BENCH_TOKEN_GRANTS}`);
    const aws = await startBenchAws({ stage: STAGE, baseUrl: 'https://api.bench.test', logLevel: 'ERROR' });
    let restoreLogLevel = () => {};
    try {
      // Another section of this run may have made clients, configuration and caches for its own local AWS.
      const { aws: clients, kms, secrets, signingKeys, signingKeyLifecycle } = await import('../functions/container');
      clients.reset();
      (await import('../shared/config')).resetConfig();
      secrets.clearCache();
      signingKeys.forget();
      // The service logs one INFO record per grant; another section may have left the shared logger at INFO.
      const { logger } = await import('../shared/logger');
      const savedLevel = logger.getLevelName();
      logger.setLogLevel('ERROR');
      restoreLogLevel = () => logger.setLogLevel(savedLevel);
      // Imported only now: the domain modules read the environment set above.
      const { KMS_SIGNING_ALGORITHM } = await import('../shared/oauth/signing-keys');
      const { OAuthClients, clientAuthenticationState } = await import('../shared/oauth/clients');
      const { storedVerifiersOf } = await import('../shared/oauth/stored-verifiers');
      const { SystemAuthRepository } = await import('../shared/system-auths/repository');
      const { OAuthClientRecords } = await import('../shared/system-auths/oauth-client-records');
      // The oauth function's own composition, built now (the module's instance may belong to another section's stage).
      const endpoint = (await import('../functions/oauth/handler')).tokenEndpoint();
      await signingKeyLifecycle.ensure();
      const admin = await new OAuthClients(new SystemAuthRepository(clients.dynamo, config().systemAuthsTable), new OAuthClientRecords(clients.dynamo, config().systemAuthsTable, config), secrets, clientAuthenticationState(), storedVerifiersOf(kms, config())).createAdmin('bench');
      const { keyArn } = await signingKeys.active();

      const message = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9');
      const sign = await timed(COUNT, () => kms.sign(keyArn, message, KMS_SIGNING_ALGORITHM));
      const basic = `Basic ${Buffer.from(`${admin.clientId}:${admin.clientSecret}`).toString('base64')}`;
      const grant = await timed(COUNT, async () => {
        const response = await endpoint.handle({
          resource: '/oauth2/token', path: '/oauth2/token', httpMethod: 'POST', isBase64Encoded: false,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic, Host: 'api.bench.test' },
          body: 'grant_type=client_credentials', queryStringParameters: null,
          requestContext: { requestId: 'bench', stage: STAGE },
        } as unknown as APIGatewayProxyEvent);
        if (response.statusCode !== 200) throw new Error(`token grant answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
      });

      const usdPerSignature = USD_PER_10K_ASYMMETRIC_REQUESTS / 10_000;
      console.log(`  KMS Sign (ECDSA_SHA_256, RAW, moto here), ${COUNT} sequential: p50 ${sign.p50.toFixed(1)} ms, p95 ${sign.p95.toFixed(1)} ms, mean ${sign.mean.toFixed(1)} ms`);
      console.log(`  token grant through the oauth handler (1 KMS Sign each), ${COUNT} sequential: p50 ${grant.p50.toFixed(1)} ms, p95 ${grant.p95.toFixed(1)} ms`);
      console.log(`  KMS list price: $${USD_PER_10K_ASYMMETRIC_REQUESTS} per 10,000 asymmetric requests (${US_EAST_1_PRICES.source}) = $${usdPerSignature.toFixed(6)} per token, $${(usdPerSignature * 1e6).toFixed(2)} per million tokens`);
      return `KMS Sign p50 ${sign.p50.toFixed(1)} ms, token grant p50 ${grant.p50.toFixed(1)} ms, $${(usdPerSignature * 1e6).toFixed(2)}/million tokens`;
    } finally {
      restoreLogLevel();
      await aws.stop();
    }
  },
};
