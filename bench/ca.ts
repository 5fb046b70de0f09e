// Benchmark: the sign path with the CA key in KMS (moto's KMS here): one kms:Sign per certificate, its latency, what
// CertificateAuthority.issue achieves through it, and what one Sign costs on AWS; beside it raw in-process RSA-2048
// signing, which is what the CA did before its key moved into KMS.
import { generateKeyPairSync, sign } from 'node:crypto';
import forge from 'node-forge';
import { startMoto, type LocalAwsService } from '../local/aws-services';
import { freePort } from '../local/processes';
import { validateCsr } from '../shared/certificates/csr';
import { announcedSubject } from '../shared/certificates/subject';
import { config } from '../shared/config';
import type { BenchSection } from './run';

const SEQUENTIAL = 100;
const CONCURRENCY = 8;
const CONCURRENT_TOTAL = 200;
const RAW_SECONDS = 2;

/**
 * AWS KMS list prices per 10,000 requests, us-east-1, read 2026-11-29 (the same figures as bench/cost-model.ts, from
 * aws.amazon.com/kms/pricing): Sign with an RSA_2048 key is billed like a symmetric request, $0.03; with an ECC or larger
 * RSA key, $0.15. (Third-party summaries disagree: factualminds.com, 2026-06-13, puts all asymmetric requests at 5x.)
 */
export const KMS_RSA_2048_USD_PER_10K = 0.03;
const KMS_OTHER_ASYMMETRIC_USD_PER_10K = 0.15;

/** A CSR as an Application would send it (RSA-2048, base64 of PEM), built with forge once. */
function applicationCsr(systemAuthId: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  csr.setSubject(announcedSubject(systemAuthId, config().csrSubject).map((rdn) => ({ type: rdn.oid, value: rdn.value })));
  csr.sign(key, forge.md.sha256.create());
  return Buffer.from(forge.pki.certificationRequestToPem(csr)).toString('base64');
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function latencies(count: number, operation: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await operation();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

/** Operations per second with `concurrency` in flight. */
async function throughput(total: number, concurrency: number, operation: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await operation();
    }),
  );
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** In-process RSA-2048 signatures per second with a KeyObject (the CA before KMS). */
function rawSignsPerSecond(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const message = Buffer.alloc(700, 1);
  let count = 0;
  const start = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - start) / 1e9 < RAW_SECONDS) {
    for (let i = 0; i < 100; i++) sign('sha256', message, privateKey);
    count += 100;
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

export const caIssuanceBench: BenchSection = {
  name: 'certificate issuance with the CA key in KMS (kms:Sign per certificate)',
  async run() {
    let moto: LocalAwsService | undefined;
    const saved = { ...process.env };
    try {
      moto = await startMoto({ port: await freePort() });
      Object.assign(process.env, {
        AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint, AWS_ENDPOINT_URL_KMS: moto.endpoint,
        SECRETS_PREFIX: `pairing-service/bench-ca-${process.pid}`, POWERTOOLS_LOG_LEVEL: 'ERROR',
      });
      // Imported only now: the domain modules read the environment set above.
      const { resetConfig } = await import('../shared/config');
      resetConfig();
      const { aws, caRegistry, kms, secrets, kmsAdmin } = await import('../functions/container');
      aws.reset();
      const { CurrentCertificateAuthority, CA_SIGNING_ALGORITHM } = await import('../shared/certificates/ca');
      const { CaLifecycle } = await import('../shared/certificates/ca-lifecycle');
      const { currentCa } = await import('../shared/certificates/ca-registry');
      const registry = await new CaLifecycle(secrets, caRegistry, kms, kmsAdmin, config).ensure();
      const keyArn = currentCa(registry).keyArn!;
      const authority = await new CurrentCertificateAuthority(caRegistry, kms, config).load();
      const systemAuthId = 'bench-system-auth';
      const csr = validateCsr(applicationCsr(systemAuthId), announcedSubject(systemAuthId, config().csrSubject));
      const tbsSized = Buffer.alloc(700, 1);

      await latencies(10, () => authority.issue(csr)); // warm-up: connections, JIT
      const signMs = await latencies(SEQUENTIAL, () => kms.sign(keyArn, tbsSized, CA_SIGNING_ALGORITHM));
      const issueMs = await latencies(SEQUENTIAL, () => authority.issue(csr));
      const issuePerSecond = await throughput(CONCURRENT_TOTAL, CONCURRENCY, () => authority.issue(csr));
      const rawPerSecond = rawSignsPerSecond();

      const stats = (ms: number[]) => `p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms`;
      console.log(`  kms:Sign RSASSA_PKCS1_V1_5_SHA_256 (moto, one at a time): ${stats(signMs)}`);
      console.log(`  CertificateAuthority.issue through KMS (one at a time): ${stats(issueMs)}`);
      console.log(`  CertificateAuthority.issue through KMS (${CONCURRENCY} in flight): ${issuePerSecond.toFixed(0)} certificates/s`);
      console.log(`  in-process RSA-2048 sign with a KeyObject (the CA before KMS, for comparison): ${rawPerSecond.toFixed(0)} signatures/s`);
      console.log(
        `  KMS price per Sign with the CA's RSA_2048 key (us-east-1 list price read 2026-11-29): $${(KMS_RSA_2048_USD_PER_10K / 10_000).toFixed(6)} ` +
          `($${KMS_RSA_2048_USD_PER_10K.toFixed(2)} per 10,000; ECC_NIST_P256 would be $${KMS_OTHER_ASYMMETRIC_USD_PER_10K.toFixed(2)}), ` +
          `i.e. $${((KMS_RSA_2048_USD_PER_10K / 10_000) * 1_000_000).toFixed(2)} per million certificates, plus $1/month per CA key`,
      );
      console.log('  moto signs in-process in Python; AWS KMS adds a network round trip in the region (not measured here).');
      return `kms sign p50 ${percentile(signMs, 50).toFixed(1)} ms, issue p50 ${percentile(issueMs, 50).toFixed(1)} ms, ${issuePerSecond.toFixed(0)} certs/s x${CONCURRENCY}`;
    } finally {
      process.env = saved;
      await moto?.stop();
    }
  },
};
