// Benchmark: client certificates issued per second by CertificateAuthority.issue, against raw RSA-2048 signing with a KeyObject.
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import forge from 'node-forge';
import { CertificateAuthority, generateCertificateAuthority } from '../shared/certificates/ca';
import { validateCsr } from '../shared/certificates/csr';
import { announcedSubject } from '../shared/certificates/subject';
import type { BenchSection } from './run';

const WARM_UP = 200;
const MIN_ITERATIONS = 500;
const MIN_SECONDS = 2;

/** Operations per second of `operation`, after a warm-up, over at least MIN_ITERATIONS calls and MIN_SECONDS. */
function opsPerSecond(operation: () => unknown): number {
  for (let i = 0; i < WARM_UP; i++) operation();
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (iterations < MIN_ITERATIONS || elapsed < MIN_SECONDS) {
    for (let i = 0; i < 100; i++) operation();
    iterations += 100;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return iterations / elapsed;
}

/** A CSR as an Application would send it (RSA-2048, base64 of PEM), built with forge once. */
function applicationCsr(systemAuthId: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  csr.setSubject(announcedSubject(systemAuthId).map((rdn) => ({ type: rdn.oid, value: rdn.value })));
  csr.sign(key, forge.md.sha256.create());
  return Buffer.from(forge.pki.certificationRequestToPem(csr)).toString('base64');
}

export const caIssuanceBench: BenchSection = {
  name: 'certificate issuance vs raw RSA-2048 signing',
  async run() {
    const material = await generateCertificateAuthority();
    const authority = CertificateAuthority.fromMaterial(material);
    const systemAuthId = 'bench-system-auth';
    const csr = validateCsr(applicationCsr(systemAuthId), announcedSubject(systemAuthId));

    const issuePerSecond = opsPerSecond(() => authority.issue(csr));
    // Same CA key, parsed once into a KeyObject, signing a TBSCertificate-sized message.
    const caKey = createPrivateKey(material.privateKeyPem);
    const message = Buffer.alloc(700, 1);
    const signPerSecond = opsPerSecond(() => sign('sha256', message, caKey));
    const ratio = issuePerSecond / signPerSecond;

    console.log(`  CertificateAuthority.issue: ${issuePerSecond.toFixed(0)} certificates/s`);
    console.log(`  crypto.sign RSA-2048 SHA-256 (KeyObject): ${signPerSecond.toFixed(0)} signatures/s`);
    console.log(`  ratio: ${ratio.toFixed(2)} (target >= 0.20)`);
    return `ca issue ${issuePerSecond.toFixed(0)}/s, raw rsa2048 sign ${signPerSecond.toFixed(0)}/s, ratio ${ratio.toFixed(2)}`;
  },
};
