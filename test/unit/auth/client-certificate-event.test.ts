// clientCertificateOf: the client certificate is read from API Gateway's request context (REST and HTTP API shapes), never from headers.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { certificateFingerprint, clientCertificateOf, commonNameOf } from '../../../shared/auth/client-certificate';
import { UnauthenticatedError } from '../../../shared/errors';

function selfSigned(attributes: forge.pki.CertificateField[]): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  certificate.serialNumber = '01ab';
  certificate.validity.notBefore = new Date('2030-01-01T00:00:00Z');
  certificate.validity.notAfter = new Date('2030-04-01T00:00:00Z');
  certificate.setSubject(attributes);
  certificate.setIssuer(attributes);
  certificate.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(certificate);
}

const pem = selfSigned([
  { shortName: 'O', value: 'Org' },
  { shortName: 'C', value: 'DE' },
  { shortName: 'CN', value: '3f1c2a9e-0000-4000-8000-000000000001' },
]);

const clientCert = {
  clientCertPem: pem,
  subjectDN: 'CN=3f1c2a9e-0000-4000-8000-000000000001,C=DE,O=Org',
  issuerDN: 'CN=3f1c2a9e-0000-4000-8000-000000000001,C=DE,O=Org',
  serialNumber: '01:ab',
  validity: { notBefore: 'Jan  1 00:00:00 2030 GMT', notAfter: 'Apr  1 00:00:00 2030 GMT' },
};

describe('clientCertificateOf', () => {
  it('reads requestContext.identity.clientCert of a REST API event', () => {
    const event = { headers: {}, requestContext: { identity: { sourceIp: '1.2.3.4', clientCert } } };
    expect(clientCertificateOf(event)).toEqual(clientCert);
  });

  it('reads requestContext.authentication.clientCert of an HTTP API event', () => {
    const event = { version: '2.0', headers: {}, requestContext: { http: { method: 'POST' }, authentication: { clientCert } } };
    expect(clientCertificateOf(event)).toEqual(clientCert);
  });

  it('finds no certificate on a plain-endpoint event (identity.clientCert null, as serverless-offline and API Gateway send it)', () => {
    expect(clientCertificateOf({ headers: {}, requestContext: { identity: { sourceIp: '1.2.3.4', clientCert: null } } })).toBeUndefined();
    expect(clientCertificateOf({ headers: {}, requestContext: { identity: { sourceIp: '1.2.3.4' } } })).toBeUndefined();
    expect(clientCertificateOf({ headers: {}, requestContext: { authentication: null } })).toBeUndefined();
    expect(clientCertificateOf({ headers: {} })).toBeUndefined();
    expect(clientCertificateOf(undefined)).toBeUndefined();
  });

  it('ignores certificate data in headers, whatever their spelling', () => {
    const spoofed = {
      headers: {
        'X-Client-Cert': encodeURIComponent(pem),
        'Client-Id-From-Certificate': '3f1c2a9e-0000-4000-8000-000000000001',
        'Certificate-Data': Buffer.from(pem).toString('base64'),
        'X-SSL-Client-Cert': pem,
        'X-Forwarded-Client-Cert': `Cert="${encodeURIComponent(pem)}"`,
      },
      multiValueHeaders: { 'X-Client-Cert': [pem] },
      requestContext: { identity: { sourceIp: '1.2.3.4', clientCert: null } },
    };
    expect(clientCertificateOf(spoofed)).toBeUndefined();
  });

  it('refuses an mTLS event whose clientCert carries no PEM', () => {
    const event = { requestContext: { identity: { clientCert: { subjectDN: 'CN=x', serialNumber: '01' } } } };
    expect(() => clientCertificateOf(event)).toThrow(UnauthenticatedError);
    expect(() => clientCertificateOf({ requestContext: { identity: { clientCert: { clientCertPem: '  ' } } } })).toThrow(/missing/);
  });

  it('keeps the PEM and fills absent descriptive fields with empty strings', () => {
    const event = { requestContext: { identity: { clientCert: { clientCertPem: pem } } } };
    expect(clientCertificateOf(event)).toEqual({
      clientCertPem: pem,
      subjectDN: '',
      issuerDN: '',
      serialNumber: '',
      validity: { notBefore: '', notAfter: '' },
    });
  });
});

describe('commonNameOf and certificateFingerprint', () => {
  it('takes the single CN of the subject as the SystemAuth id', () => {
    expect(commonNameOf(new X509Certificate(pem))).toBe('3f1c2a9e-0000-4000-8000-000000000001');
  });

  it('finds no SystemAuth id when the subject has no CN or two of them', () => {
    expect(commonNameOf(new X509Certificate(selfSigned([{ shortName: 'O', value: 'Org' }])))).toBeUndefined();
    const twice = selfSigned([
      { shortName: 'CN', value: 'a' },
      { shortName: 'CN', value: 'b' },
    ]);
    expect(commonNameOf(new X509Certificate(twice))).toBeUndefined();
  });

  it('fingerprints the DER with SHA-256 as lowercase hex, like `openssl x509 -fingerprint -sha256`', () => {
    const certificate = new X509Certificate(pem);
    expect(certificateFingerprint(certificate)).toBe(certificate.fingerprint256.replace(/:/g, '').toLowerCase());
  });
});
