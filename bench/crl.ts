// Benchmark: building one CA's CRL of 100,000 entries (DER encoding, without the signature) and one KMS Sign beside it,
// against the targets of issue 26: build <= 2 s of CPU, <= 40 bytes per entry on average, memory proportional to the entries.
import { createHash, randomBytes } from 'node:crypto';
import { startMoto } from '../local/aws-services';
import { freePort } from '../local/processes';
import type { BenchSection } from './run';

const ENTRIES = Number(process.env.BENCH_CRL_ENTRIES ?? 100_000);
const CPU_TARGET_MS = 2000;
const BYTES_PER_ENTRY_TARGET = 40;
const REASONS = ['superseded', 'cessationOfOperation', 'unspecified'] as const;

const verdict = (met: boolean) => (met ? 'met' : 'NOT MET');
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

export const crlBench: BenchSection = {
  name: 'crl',
  async run() {
    if (!Number.isInteger(ENTRIES) || ENTRIES < 1) throw new Error(`BENCH_CRL_ENTRIES must be a positive integer, got ${process.env.BENCH_CRL_ENTRIES}`);
    const { tbsCertList, signCrl } = await import('../shared/certificates/crl');
    const { randomSerial } = await import('../shared/certificates/ca');
    const { sha256WithRsa } = await import('../shared/certificates/x509');
    // Serials as the CA makes them (randomSerial); revocation times within the last 90 days.
    const now = Date.now();
    const entriesOf = (count: number, reasons: readonly (typeof REASONS)[number][] = REASONS) =>
      Array.from({ length: count }, (_, i) => ({
        serialNumber: randomSerial().toString('hex'),
        revokedAt: new Date(now - (i % 7_776_000) * 1000),
        reason: reasons[i % reasons.length]!,
      }));
    const contents = (entries: ReturnType<typeof entriesOf>) => ({
      authorityKeyId: randomBytes(20),
      crlNumber: 123456n,
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + 86_400_000),
      entries,
    });
    // A real issuer Name (C, O, CN) as the CA certificate has it.
    const { encodeDer, sequence, set, oid, printableString, utf8String } = await import('../shared/certificates/der');
    const issuerDer = encodeDer(sequence(set(sequence(oid('2.5.4.6'), printableString('DE'))), set(sequence(oid('2.5.4.10'), utf8String('Pairing Service'))), set(sequence(oid('2.5.4.3'), utf8String('Pairing Service CA')))));
    const fixedSignature = { algorithmIdentifier: sha256WithRsa(), sign: async () => Buffer.alloc(256, 1) };

    // Memory: the process's peak RSS only grows, so builds of growing size each show the peak they reached.
    const baseline = maxRssMb();
    const sizes = [ENTRIES / 10, ENTRIES / 2, ENTRIES].map(Math.round);
    let last = { cpu: 0, bytes: 0, peakMb: 0 };
    for (const size of sizes) {
      const entries = entriesOf(size);
      const started = process.cpuUsage();
      const der = await signCrl({ ...contents(entries), issuerDer }, fixedSignature);
      const cpu = cpuMs(process.cpuUsage(started));
      last = { cpu, bytes: der.length, peakMb: maxRssMb() - baseline };
      console.log(`  ${size.toLocaleString('en')} entries (a third each superseded, cessationOfOperation, unspecified): build ${cpu.toFixed(0)} ms CPU, ${der.length.toLocaleString('en')} bytes (${(der.length / size).toFixed(1)} per entry), peak RSS +${last.peakMb.toFixed(0)} MB over the start (${((last.peakMb * 1024 * 1024) / size).toFixed(0)} bytes per entry)`);
    }
    // What one entry costs by reason: 9-byte serials, UTCTime; the reasonCode extension adds 14 bytes.
    for (const reason of REASONS) {
      const one = tbsCertList({ ...contents(entriesOf(1000, [reason])), issuerDer }, sha256WithRsa()).length;
      const two = tbsCertList({ ...contents(entriesOf(2000, [reason])), issuerDer }, sha256WithRsa()).length;
      console.log(`  one entry with reason ${reason}: ${Math.round((two - one) / 1000)} bytes`);
    }

    // One KMS Sign (moto here) of the 100,000-entry TBSCertList's digest, as the crl function signs it (above 4 KB: DIGEST).
    const port = await freePort();
    const moto = await startMoto({ port });
    let signMs = 0;
    try {
      const saved = { ...process.env };
      Object.assign(process.env, { AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_ENDPOINT_URL_KMS: moto.endpoint });
      try {
        const { aws, kms, kmsAdmin } = await import('../functions/container');
        aws.reset();
        const key = await kmsAdmin.createSigningKey({ keySpec: 'RSA_2048', description: 'bench CRL CA' });
        const tbs = tbsCertList({ ...contents(entriesOf(ENTRIES)), issuerDer }, sha256WithRsa());
        const digest = createHash('sha256').update(tbs).digest();
        await kms.signDigest(key.keyArn, digest, 'RSASSA_PKCS1_V1_5_SHA_256');
        const started = process.hrtime.bigint();
        await kms.signDigest(key.keyArn, digest, 'RSASSA_PKCS1_V1_5_SHA_256');
        signMs = Number(process.hrtime.bigint() - started) / 1e6;
      } finally {
        process.env = saved;
        (await import('../functions/container')).aws.reset();
      }
    } finally {
      await moto.stop();
    }
    console.log(`  one KMS Sign (RSASSA_PKCS1_V1_5_SHA_256, DIGEST, moto here, warm): ${signMs.toFixed(1)} ms`);

    const perEntry = last.bytes / ENTRIES;
    const perEntryMemory = (last.peakMb * 1024 * 1024) / ENTRIES;
    console.log(`  target build <= ${CPU_TARGET_MS} ms CPU: ${last.cpu.toFixed(0)} ms, ${verdict(last.cpu <= CPU_TARGET_MS)}`);
    console.log(`  target <= ${BYTES_PER_ENTRY_TARGET} bytes per entry on average: ${perEntry.toFixed(1)}, ${verdict(perEntry <= BYTES_PER_ENTRY_TARGET)} (28 without a reason code, 42 with one: see docs/design.md "Revocation")`);
    console.log(`  memory: peak RSS grows with the entries (${perEntryMemory.toFixed(0)} bytes per entry at ${ENTRIES.toLocaleString('en')}; the lines above show it at each size)`);
    return `crl ${ENTRIES.toLocaleString('en')} entries: build ${last.cpu.toFixed(0)} ms CPU (${verdict(last.cpu <= CPU_TARGET_MS)}), ${perEntry.toFixed(1)} bytes/entry (${verdict(perEntry <= BYTES_PER_ENTRY_TARGET)}), KMS Sign ${signMs.toFixed(1)} ms`;
  },
};
