// The pairing CA in (local) Secrets Manager: created exactly once even under races, loaded and cached as one parsed CertificateAuthority.
import { X509Certificate } from 'node:crypto';
import { CreateSecretCommand, ListSecretVersionIdsCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManager } from '../../../shared/aws/clients';
import { clearSecretCache, deleteSecret, readSecret, secretName } from '../../../shared/aws/secrets';
import { ensureCertificateAuthority, generateCertificateAuthority, loadCaCertificatePem, loadCertificateAuthority } from '../../../shared/certificates/ca';
import { validateCsr } from '../../../shared/certificates/csr';
import { config, resetConfig } from '../../../shared/config';
import { InternalError } from '../../../shared/errors';
import { freshTenant } from '../../support/local-aws';
import { base64Pem, expectedSubject, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';

const originalPrefix = process.env.SECRETS_PREFIX;

// Every test gets its own secrets prefix, so it sees no CA that another test (or worker) created.
beforeEach(() => {
  process.env.SECRETS_PREFIX = `pairing-service/test/${freshTenant('ca')}`;
  resetConfig();
});

afterEach(async () => {
  await Promise.all([deleteSecret(secretName('pairing-ca')), deleteSecret(secretName('pairing-ca-certificate'))]);
});

afterAll(() => {
  if (originalPrefix === undefined) delete process.env.SECRETS_PREFIX;
  else process.env.SECRETS_PREFIX = originalPrefix;
  resetConfig();
});

async function versionCount(): Promise<number> {
  const out = await secretsManager().send(new ListSecretVersionIdsCommand({ SecretId: secretName('pairing-ca') }));
  return out.Versions?.length ?? 0;
}

const storedCertificate = async () => (JSON.parse((await readSecret(secretName('pairing-ca'), 0))!) as { certificatePem: string }).certificatePem;

test('ensureCertificateAuthority creates the pairing-ca secret once; a second call keeps it', async () => {
  expect(secretName('pairing-ca')).toBe(`${config().secretsPrefix}/pairing-ca`);
  await ensureCertificateAuthority();
  const first = await storedCertificate();
  expect(new X509Certificate(first).ca).toBe(true);
  await ensureCertificateAuthority();
  expect(await storedCertificate()).toBe(first);
  expect(await versionCount()).toBe(1);
});

test('concurrent ensureCertificateAuthority calls store exactly one CA, and its certificate alone in pairing-ca-certificate', async () => {
  await Promise.all(Array.from({ length: 5 }, () => ensureCertificateAuthority()));
  expect(await versionCount()).toBe(1);
  const authority = await loadCertificateAuthority();
  expect(authority.certificatePem).toBe(new X509Certificate(await storedCertificate()).toString());
  // The winner's certificate, never a racing loser's, and no key beside it.
  const published = await readSecret(secretName('pairing-ca-certificate'), 0);
  expect(published).toBe(await storedCertificate());
  expect(published).not.toMatch(/PRIVATE KEY/);
  expect(await loadCaCertificatePem()).toBe(published);
});

test('ensureCertificateAuthority adds pairing-ca-certificate to a CA that predates it, and keeps both after', async () => {
  const material = await generateCertificateAuthority();
  await secretsManager().send(new CreateSecretCommand({ Name: secretName('pairing-ca'), SecretString: JSON.stringify(material) }));
  await ensureCertificateAuthority();
  expect(await readSecret(secretName('pairing-ca-certificate'), 0)).toBe(material.certificatePem);
  await ensureCertificateAuthority();
  expect(await storedCertificate()).toBe(material.certificatePem);
  expect(await versionCount()).toBe(1);
});

test('ensureCertificateAuthority refuses a pairing-ca-certificate of another CA rather than overwrite it', async () => {
  await ensureCertificateAuthority();
  const other = await generateCertificateAuthority({ commonName: 'Another CA' });
  await secretsManager().send(new PutSecretValueCommand({ SecretId: secretName('pairing-ca-certificate'), SecretString: other.certificatePem }));
  await expect(ensureCertificateAuthority()).rejects.toThrow('secret pairing-ca-certificate does not hold the certificate of pairing-ca');
  expect(await readSecret(secretName('pairing-ca-certificate'), 0)).toBe(other.certificatePem);
});

test('loadCaCertificatePem without the public secret fails with a clear internal error, and finds one created later', async () => {
  const failure = loadCaCertificatePem();
  await expect(failure).rejects.toBeInstanceOf(InternalError);
  await expect(failure).rejects.toThrow('The pairing certificate authority is not set up (secret pairing-ca-certificate is missing)');
  await ensureCertificateAuthority();
  await expect(loadCaCertificatePem()).resolves.toMatch(/^-----BEGIN CERTIFICATE-----/);
});

test('loadCertificateAuthority returns one parsed CA while cached, re-reads after the cache, and issues certificates that chain to it', async () => {
  await ensureCertificateAuthority();
  const authority = await loadCertificateAuthority();
  expect(await loadCertificateAuthority()).toBe(authority);

  // Within config().secretCacheSeconds the parsed CA is served from memory: a rotation behind its back is not seen yet...
  const rotated = await generateCertificateAuthority({ commonName: 'Rotated Pairing CA' });
  await secretsManager().send(new PutSecretValueCommand({ SecretId: secretName('pairing-ca'), SecretString: JSON.stringify(rotated) }));
  expect(await loadCertificateAuthority()).toBe(authority);
  // ...and once the cached value is gone, the new CA is parsed and used.
  clearSecretCache();
  const reloaded = await loadCertificateAuthority();
  expect(reloaded).not.toBe(authority);
  expect(reloaded.certificatePem).toBe(new X509Certificate(rotated.certificatePem).toString());

  const id = freshTenant('sa');
  const issued = authority.issue(validateCsr(base64Pem(goodCsrDer(rsaKeyPair(2048), id)), expectedSubject(id)));
  expect(new X509Certificate(issued.certificatePem).verify(new X509Certificate(authority.certificatePem).publicKey)).toBe(true);
});

test('loadCertificateAuthority without a CA fails with a clear internal error', async () => {
  const failure = loadCertificateAuthority();
  await expect(failure).rejects.toBeInstanceOf(InternalError);
  await expect(failure).rejects.toThrow('The pairing certificate authority is not set up (secret pairing-ca is missing)');
});

test('a CA created after a failed load is found without waiting for the cache to expire', async () => {
  await expect(loadCertificateAuthority()).rejects.toBeInstanceOf(InternalError);
  await ensureCertificateAuthority();
  await expect(loadCertificateAuthority()).resolves.toBeDefined();
});
