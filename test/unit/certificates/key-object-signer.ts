// Test support: a CA whose key is a node:crypto KeyObject, for unit tests of the certificate bytes without KMS. The
// service itself signs only through KMS (shared/certificates/ca.ts kmsCaSigner); integration tests use moto's KMS.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { CertificateAuthority, createCaCertificate, type CertificateAuthorityOptions } from '../../../shared/certificates/ca';
import { sha256WithRsa, type Signer } from '../../../shared/certificates/x509';

export function keyObjectSigner(privateKey: KeyObject): Signer {
  return { algorithmIdentifier: sha256WithRsa(), sign: async (tbsDer) => sign('sha256', tbsDer, privateKey) };
}

export interface TestCa {
  certificatePem: string;
  privateKeyPem: string;
  privateKey: KeyObject;
  authority: CertificateAuthority;
}

/** A self-signed RSA-2048 CA made by the service's createCaCertificate, with its key in memory (tests only). */
export async function testCertificateAuthority(options: CertificateAuthorityOptions & { id?: string } = {}): Promise<TestCa> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = keyObjectSigner(privateKey);
  const certificatePem = await createCaCertificate(publicKey, signer, options);
  return {
    certificatePem,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
    authority: CertificateAuthority.withSigner(options.id ?? 'ca-1', certificatePem, signer),
  };
}
