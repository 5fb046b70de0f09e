// The pairing CA: its own certificate, and client certificates that openssl verifies and that carry the extensions API.md section 5 requires.
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority, createCaCertificate } from '../../../shared/certificates/ca';
import { keyObjectSigner, testCertificateAuthority, type TestCa } from './key-object-signer';
import { validateCsr, type ValidatedCsr } from '../../../shared/certificates/csr';
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { config } from '../../../shared/config';
import { base64Pem, ECDSA_WITH_SHA256, ecKeyPair, expectedSubject, goodCsrDer, rsaKeyPair, type KeyPair } from './csr-builder';

const ID = '0f1e2d3c-4b5a-4697-8877-665544332211';
const DAY_MS = 86_400_000;

let material: TestCa;
let authority: CertificateAuthority;
let rsaCsr: ValidatedCsr;
let ecCsr: ValidatedCsr;
let ecKeys: KeyPair;
let workDir: string;
let caFile: string;

beforeAll(async () => {
  material = await testCertificateAuthority({ commonName: 'Test Pairing CA' });
  authority = material.authority;
  rsaCsr = validateCsr(base64Pem(goodCsrDer(rsaKeyPair(2048), ID)), expectedSubject(ID));
  ecKeys = ecKeyPair('prime256v1');
  ecCsr = validateCsr(base64Pem(goodCsrDer(ecKeys, ID, ECDSA_WITH_SHA256)), expectedSubject(ID));
  workDir = mkdtempSync(join(tmpdir(), 'ca-test-'));
  caFile = join(workDir, 'ca.pem');
  writeFileSync(caFile, material.certificatePem);
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function openssl(args: string[], pem: string): string {
  const file = join(workDir, `cert-${Math.random()}.pem`);
  writeFileSync(file, pem);
  return execFileSync('openssl', [...args, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('createCaCertificate', () => {
  test('a self-signed CA: CA:TRUE and keyCertSign/cRLSign, both critical, key identifiers, about 10 years', async () => {
    const text = openssl(['x509', '-text', '-noout', '-in'], material.certificatePem);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('CN = Test Pairing CA');
    expect(text).toContain('Public-Key: (2048 bit)');
    const certificate = new X509Certificate(material.certificatePem);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    const years = (Date.parse(certificate.validTo) - Date.now()) / (365.25 * DAY_MS);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(openssl(['verify', '-CAfile', caFile], material.certificatePem)).toContain(': OK');
  });

  test('refuses a signer that is not the private half of the certificate\'s key', async () => {
    const other = await testCertificateAuthority();
    await expect(createCaCertificate(new X509Certificate(material.certificatePem).publicKey, keyObjectSigner(other.privateKey))).rejects.toThrow(
      /does not verify with its own public key/,
    );
  });

  test('the authority names its registry id on every certificate it issues', async () => {
    const ca = CertificateAuthority.withSigner('ca-7', material.certificatePem, keyObjectSigner(material.privateKey));
    expect((await ca.issue(rsaCsr)).caId).toBe('ca-7');
  });
});

describe('CertificateAuthority.issue', () => {
  test.each([
    ['RSA-2048', () => rsaCsr],
    ['EC P-256', () => ecCsr],
  ])('openssl verify -CAfile accepts a certificate for a %s key, also for the TLS client purpose (keyUsage included)', async (_, csr) => {
    const issued = await authority.issue(csr(), { validityDays: 90 });
    expect(openssl(['verify', '-CAfile', caFile], issued.certificatePem)).toMatch(/: OK\n$/);
    expect(openssl(['verify', '-purpose', 'sslclient', '-CAfile', caFile], issued.certificatePem)).toMatch(/: OK\n$/);
  });

  test('keyUsage follows the key type: digitalSignature and keyEncipherment for RSA, digitalSignature only for EC (RFC 5480 section 3)', async () => {
    const keyUsageOf = async (csr: ValidatedCsr) => openssl(['x509', '-noout', '-ext', 'keyUsage', '-in'], (await authority.issue(csr)).certificatePem);
    expect(await keyUsageOf(rsaCsr)).toBe('X509v3 Key Usage: critical\n    Digital Signature, Key Encipherment\n');
    expect(await keyUsageOf(ecCsr)).toBe('X509v3 Key Usage: critical\n    Digital Signature\n');
  });

  test('the certificate carries the extensions of API.md section 5 (for an EC key, keyUsage digitalSignature only)', async () => {
    const issued = await authority.issue(ecCsr);
    const text = openssl(['x509', '-text', '-noout', '-in'], issued.certificatePem);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s*\n\s+TLS Web Client Authentication\n/);
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toContain(`Subject: O = Pairing Service, OU = Applications, L = Berlin, ST = Berlin, C = DE, CN = ${ID}`);
    const ca = openssl(['x509', '-text', '-noout', '-in'], material.certificatePem);
    const caSki = /X509v3 Subject Key Identifier:\s*\n\s+([0-9A-F:]+)/.exec(ca)![1];
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier:\\s*\\n\\s+(keyid:)?${caSki}`));
    expect(text).toMatch(/X509v3 Subject Key Identifier:\s*\n\s+[0-9A-F:]{59}/);
  });

  test('the subject key identifier is SHA-1 of the subject public key bits (RFC 5280 method 1)', async () => {
    const ski = (pem: string) =>
      /X509v3 Subject Key Identifier:\s*\n\s+([0-9A-F:]+)/.exec(openssl(['x509', '-text', '-noout', '-in'], pem))![1]!.replace(/:/g, '').toLowerCase();
    const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
    const rsaKey = createPublicKey({ key: rsaCsr.subjectPublicKeyInfoDer, format: 'der', type: 'spki' });
    expect(ski((await authority.issue(rsaCsr)).certificatePem)).toBe(sha1(rsaKey.export({ type: 'pkcs1', format: 'der' })));
    const { x, y } = createPublicKey({ key: ecCsr.subjectPublicKeyInfoDer, format: 'der', type: 'spki' }).export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(x!, 'base64url'), Buffer.from(y!, 'base64url')]);
    expect(ski((await authority.issue(ecCsr)).certificatePem)).toBe(sha1(point));
  });

  test('the result describes the certificate: serial, SHA-256 fingerprint, subject, validity', async () => {
    const now = new Date('2030-05-06T07:08:09.500Z');
    const issued = await authority.issue(rsaCsr, { validityDays: 30, now });
    const certificate = new X509Certificate(issued.certificatePem);
    expect(issued.serialNumber).toBe(certificate.serialNumber.toLowerCase());
    expect(issued.sha256Fingerprint).toBe(certificate.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(issued.subject).toBe(`O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=${ID}`);
    expect(issued.notBefore.toISOString()).toBe('2030-05-06T07:07:09.000Z');
    expect(issued.notAfter.toISOString()).toBe('2030-06-05T07:08:09.000Z');
    expect(Date.parse(certificate.validFrom)).toBe(issued.notBefore.getTime());
    expect(Date.parse(certificate.validTo)).toBe(issued.notAfter.getTime());
    expect(certificate.checkIssued(new X509Certificate(material.certificatePem))).toBe(true);
  });

  test('validity defaults to the configured days (90 unless set) and NotBefore is one minute back', async () => {
    const now = new Date();
    const issued = await authority.issue(rsaCsr, { now });
    expect(Math.abs(issued.notAfter.getTime() - (now.getTime() + config().certificateValidityDays * DAY_MS))).toBeLessThan(1000);
    expect(Math.abs(issued.notBefore.getTime() - (now.getTime() - 60_000))).toBeLessThan(1000);
  });

  test('no certificate outlives the CA', async () => {
    const issued = await authority.issue(rsaCsr, { validityDays: 365 * 20 });
    expect(issued.notAfter.getTime()).toBe(authority.notAfter.getTime());
  });

  test('a non-positive validity is a programming error', async () => {
    await expect(authority.issue(rsaCsr, { validityDays: 0 })).rejects.toThrow(RangeError);
  });

  test('serials are positive, at least 64 bits, and 200 of them are distinct', async () => {
    const serials = await Promise.all(Array.from({ length: 200 }, async () => (await authority.issue(ecCsr, { validityDays: 1 })).serialNumber));
    expect(new Set(serials).size).toBe(200);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9a-f]{18}$/);
      const first = parseInt(serial.slice(0, 2), 16);
      expect(first).toBeGreaterThanOrEqual(0x01);
      expect(first).toBeLessThanOrEqual(0x7f);
      expect(BigInt(`0x${serial}`) >= 2n ** 64n).toBe(true);
    }
  });

  test('openssl reads the serial as the positive number the result reports', async () => {
    const issued = await authority.issue(rsaCsr);
    const printed = openssl(['x509', '-serial', '-noout', '-in'], issued.certificatePem).trim();
    expect(printed).toBe(`serial=${issued.serialNumber.toUpperCase()}`);
  });

  test('an issued EC certificate authenticates a TLS client to a server that trusts only the pairing CA', async () => {
    const issued = await authority.issue(ecCsr);
    // The server presents the CA certificate itself: only the client side of the handshake is under test.
    const server = createServer({ key: material.privateKeyPem, cert: material.certificatePem, ca: material.certificatePem, requestCert: true, rejectUnauthorized: true });
    const seen = new Promise<{ authorized: boolean; cn: unknown }>((resolve) =>
      server.on('secureConnection', (socket: TLSSocket) => {
        resolve({ authorized: socket.authorized, cn: socket.getPeerCertificate().subject?.CN });
        socket.end();
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const client = connect({ host: '127.0.0.1', port, key: ecKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: issued.certificatePem, rejectUnauthorized: false });
    client.on('error', () => undefined);
    try {
      expect(await seen).toEqual({ authorized: true, cn: ID });
    } finally {
      client.destroy();
      server.close();
    }
  });
});
