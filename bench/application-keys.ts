// What an application does before it asks for a certificate: a fresh RSA-2048 key and a CSR of it (the benches make them outside their timings).
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

/** A fresh RSA-2048 key (PKCS#8 PEM) and a CSR of it for the comma-separated subject, as base64 of PEM. */
export function keyAndCsr(subject: string): { keyPem: string; csr: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  csr.setSubject(subject.split(',').map((part) => {
    const [shortName, ...value] = part.split('=');
    return { shortName, value: value.join('=') };
  }));
  csr.sign(key, forge.md.sha256.create());
  return { keyPem, csr: Buffer.from(forge.pki.certificationRequestToPem(csr)).toString('base64') };
}
