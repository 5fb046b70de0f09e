// Certificate revocation lists: what openssl reads in them, that openssl verify refuses exactly the listed certificates, and their size.
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caCertificateFields, CertificateAuthority } from '../../../shared/certificates/ca';
import { crlSignatureVerifies, signCrl, type CrlContents, type CrlEntry } from '../../../shared/certificates/crl';
import { toPem } from '../../../shared/certificates/der';
import { validateCsr } from '../../../shared/certificates/csr';
import { keyObjectSigner, testCertificateAuthority, type TestCa } from './key-object-signer';
import { crlDistributionPoints } from '../../../shared/certificates/x509';
import { base64Pem, expectedSubject, goodCsrDer, rsaKeyPair } from './csr-builder';

const ID = '0f1e2d3c-4b5a-4697-8877-665544332211';
const THIS_UPDATE = new Date('2026-12-06T10:00:00.000Z');
const NEXT_UPDATE = new Date('2026-12-07T10:00:00.000Z');

let ca: TestCa;
let otherCa: TestCa;
let workDir: string;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([testCertificateAuthority({ commonName: 'CRL Test CA' }), testCertificateAuthority({ commonName: 'Other CA' })]);
  workDir = mkdtempSync(join(tmpdir(), 'crl-test-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function contents(entries: CrlEntry[], crlNumber = 7n, times = { thisUpdate: THIS_UPDATE, nextUpdate: NEXT_UPDATE }): CrlContents {
  const fields = caCertificateFields(new X509Certificate(ca.certificatePem));
  return { issuerDer: fields.subjectDer, authorityKeyId: fields.keyIdentifier, crlNumber, ...times, entries };
}

/** Now, for the CRLs that openssl checks live certificates against (issued now, valid from a minute ago). */
const current = () => {
  const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
  return { thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 86_400_000) };
};

function file(name: string, text: string | Buffer): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

const crlText = (der: Buffer): string =>
  execFileSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text', '-in', file(`crl-${Math.random()}.der`, der)], { encoding: 'utf8' });

async function issue(): Promise<string> {
  const csr = validateCsr(base64Pem(goodCsrDer(rsaKeyPair(2048), ID)), expectedSubject(ID));
  return (await ca.authority.issue(csr, { validityDays: 30 })).certificatePem;
}

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toLowerCase();

/** openssl verify -crl_check: exit status and output (a refused certificate exits 2). */
function verify(crlDer: Buffer, certificatePem: string): { ok: boolean; output: string } {
  const out = spawnSync(
    'openssl',
    ['verify', '-crl_check', '-CAfile', file('ca.pem', ca.certificatePem), '-CRLfile', file(`crl-${Math.random()}.pem`, toPem(crlDer, 'X509 CRL')), file(`c-${Math.random()}.pem`, certificatePem)],
    { encoding: 'utf8' },
  );
  return { ok: out.status === 0, output: out.stdout + out.stderr };
}

describe('signCrl', () => {
  test('openssl reads the issuer, both times, the CRL number, the AKI and each entry with its reason', async () => {
    const der = await signCrl(
      contents([
        { serialNumber: '7f01', revokedAt: new Date('2026-12-06T09:00:00Z'), reason: 'superseded' },
        { serialNumber: '80ff', revokedAt: new Date('2026-12-06T09:30:00Z'), reason: 'cessationOfOperation' },
        { serialNumber: '0a', revokedAt: new Date('2026-12-06T09:45:00Z'), reason: 'unspecified' },
      ], 123456789012n),
      keyObjectSigner(ca.privateKey),
    );
    const text = crlText(der);
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toContain('Issuer: C = DE, O = Pairing Service, CN = CRL Test CA');
    expect(text).toContain('Last Update: Dec  6 10:00:00 2026 GMT');
    expect(text).toContain('Next Update: Dec  7 10:00:00 2026 GMT');
    expect(text).toMatch(/X509v3 CRL Number:\s+123456789012/);
    expect(text).toMatch(/X509v3 Authority Key Identifier:\s+[0-9A-F:]{59}/);
    expect(text).toMatch(/Serial Number: 7F01\s+Revocation Date: Dec  6 09:00:00 2026 GMT\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Superseded/);
    expect(text).toMatch(/Serial Number: 80FF\s+Revocation Date: Dec  6 09:30:00 2026 GMT\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Cessation Of Operation/);
    // unspecified: no reasonCode extension (RFC 5280 5.3.1).
    expect(text).toMatch(/Serial Number: 0A\s+Revocation Date: Dec  6 09:45:00 2026 GMT\s*(Signature Algorithm|Serial Number)/);
    expect(crlSignatureVerifies(der, ca.certificatePem)).toBe(true);
    expect(crlSignatureVerifies(der, otherCa.certificatePem)).toBe(false);
  });

  test('an empty CRL has no revokedCertificates field and verifies', async () => {
    const der = await signCrl(contents([], 1n, current()), keyObjectSigner(ca.privateKey));
    expect(crlText(der)).toContain('No Revoked Certificates.');
    expect(verify(der, await issue()).ok).toBe(true);
  });

  test('openssl verify -crl_check refuses the listed certificate and accepts the others', async () => {
    const [revoked, live] = await Promise.all([issue(), issue()]);
    const der = await signCrl(contents([{ serialNumber: serialOf(revoked), revokedAt: THIS_UPDATE, reason: 'superseded' }], 2n, current()), keyObjectSigner(ca.privateKey));
    const refused = verify(der, revoked);
    expect(refused.ok).toBe(false);
    expect(refused.output).toContain('certificate revoked');
    expect(verify(der, live).ok).toBe(true);
  });

  test('a CRL signed by another key does not verify: openssl refuses every certificate with it', async () => {
    const der = await signCrl(contents([], 3n, current()), keyObjectSigner(otherCa.privateKey));
    expect(crlSignatureVerifies(der, ca.certificatePem)).toBe(false);
    expect(verify(der, await issue()).output).toContain('CRL signature failure');
  });

  test('a 16-byte serial costs 35 bytes without a reason code and 49 with one', async () => {
    const serial = '11'.repeat(16);
    const size = async (reason: CrlEntry['reason'], n: number) =>
      (await signCrl(contents(Array.from({ length: n }, () => ({ serialNumber: serial, revokedAt: THIS_UPDATE, reason }))), keyObjectSigner(ca.privateKey))).length;
    expect((await size('unspecified', 201)) - (await size('unspecified', 101))).toBe(3500);
    expect((await size('superseded', 201)) - (await size('superseded', 101))).toBe(4900);
  });

  test('bad input is refused by name', async () => {
    await expect(signCrl(contents([{ serialNumber: 'xyz', revokedAt: THIS_UPDATE, reason: 'superseded' }]), keyObjectSigner(ca.privateKey))).rejects.toThrow('not a hex serial number');
    await expect(signCrl({ ...contents([]), nextUpdate: THIS_UPDATE }, keyObjectSigner(ca.privateKey))).rejects.toThrow('nextUpdate must be after thisUpdate');
  });
});

describe('CRL Distribution Points', () => {
  const x509Text = (pem: string) => execFileSync('openssl', ['x509', '-noout', '-text', '-in', file(`x-${Math.random()}.pem`, pem)], { encoding: 'utf8' });
  const csr = () => validateCsr(base64Pem(goodCsrDer(rsaKeyPair(2048), ID)), expectedSubject(ID));

  test('a CA given its CRL URL names it in every certificate it issues; without one, certificates have no such extension', async () => {
    const withUrl = CertificateAuthority.withSigner('ca-3', ca.certificatePem, keyObjectSigner(ca.privateKey), { crlUrl: 'https://api.example.test/crl/ca-3.crl' });
    const text = x509Text((await withUrl.issue(csr())).certificatePem);
    expect(text).toMatch(/X509v3 CRL Distribution Points:\s*\n\s*Full Name:\s*\n\s*URI:https:\/\/api\.example\.test\/crl\/ca-3\.crl/);
    expect(x509Text(await issue())).not.toContain('CRL Distribution Points');
  });

  test('a URL that is not http(s) ASCII is refused by name', () => {
    expect(() => crlDistributionPoints('ldap://x')).toThrow('a CRL distribution point is an http(s) URL in ASCII');
    expect(() => crlDistributionPoints('https://exämple.test/crl')).toThrow('http(s) URL in ASCII');
  });
});
