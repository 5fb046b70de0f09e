// The local mTLS endpoint's server certificate: a development CA kept in the state dir (.local) and a
// certificate for 127.0.0.1 and localhost signed by it, so `curl --cacert .local/mtls-server-ca.pem` trusts the endpoint.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { DAY_MS } from '../shared/time';

/** The file clients pass to `curl --cacert`: the development CA's certificate. */
export const SERVER_CA_FILE = 'mtls-server-ca.pem';
/** The development CA's certificate and private key together; created once per state dir, mode 0600. */
const SERVER_CA_KEY_FILE = 'mtls-server-ca-key.pem';

const CA_VALIDITY_DAYS = 3650;
const SERVER_VALIDITY_DAYS = 30;
/** A CA closer to its end than this is replaced, so a freshly issued server certificate never outlives it. */
const CA_RENEW_BEFORE_DAYS = SERVER_VALIDITY_DAYS + 1;

export interface DevelopmentServerCredentials {
  /** PEM of the development CA (the content of <stateDir>/mtls-server-ca.pem). */
  caCertificatePem: string;
  /** Absolute path of <stateDir>/mtls-server-ca.pem. */
  caCertificateFile: string;
  /** The server certificate (SANs 127.0.0.1, ::1 and localhost) and its key, for https.createServer. */
  certificatePem: string;
  privateKeyPem: string;
}

interface KeyPair {
  privateKeyPem: string;
  forgePrivateKey: forge.pki.rsa.PrivateKey;
  forgePublicKey: forge.pki.rsa.PublicKey;
}

// Keys come from node:crypto (native, fast); node-forge only assembles and signs the two certificates.
function rsaKeyPair(): KeyPair {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgePrivateKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const forgePublicKey = forge.pki.setRsaPublicKey(forgePrivateKey.n, forgePrivateKey.e);
  return { privateKeyPem, forgePrivateKey, forgePublicKey };
}

/** A random positive serial; the first byte stays in 01..7f (a leading 00 makes DER that Node rejects). */
function serialHex(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function certificateTemplate(publicKey: forge.pki.PublicKey, validityDays: number, now: Date): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  certificate.serialNumber = serialHex();
  certificate.validity.notBefore = new Date(now.getTime() - 60_000);
  certificate.validity.notAfter = new Date(now.getTime() + validityDays * DAY_MS);
  return certificate;
}

function createCa(now: Date): { certificatePem: string; privateKeyPem: string } {
  const keys = rsaKeyPair();
  const certificate = certificateTemplate(keys.forgePublicKey, CA_VALIDITY_DAYS, now);
  const name = [
    { name: 'commonName', value: 'pairing-service local mTLS endpoint development CA' },
    { name: 'organizationName', value: 'pairing-service (local development only)' },
  ];
  certificate.setSubject(name);
  certificate.setIssuer(name);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(keys.forgePrivateKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), privateKeyPem: keys.privateKeyPem };
}

function issueServerCertificate(ca: { certificatePem: string; privateKeyPem: string }, now: Date): { certificatePem: string; privateKeyPem: string } {
  const caCertificate = forge.pki.certificateFromPem(ca.certificatePem);
  const caKey = forge.pki.privateKeyFromPem(ca.privateKeyPem);
  const keys = rsaKeyPair();
  const certificate = certificateTemplate(keys.forgePublicKey, SERVER_VALIDITY_DAYS, now);
  certificate.setSubject([{ name: 'commonName', value: 'localhost' }]);
  certificate.setIssuer(caCertificate.subject.attributes);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
        { type: 2, value: 'localhost' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCertificate.generateSubjectKeyIdentifier().getBytes() },
  ]);
  certificate.sign(caKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), privateKeyPem: keys.privateKeyPem };
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g;

function readCa(file: string, now: Date): { certificatePem: string; privateKeyPem: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  const certificatePem = blocks.find((block) => block.startsWith('-----BEGIN CERTIFICATE-----'));
  const privateKeyPem = blocks.find((block) => block.startsWith('-----BEGIN PRIVATE KEY-----'));
  if (!certificatePem || !privateKeyPem) return undefined;
  const certificate = new crypto.X509Certificate(certificatePem);
  if (!certificate.checkPrivateKey(crypto.createPrivateKey(privateKeyPem))) return undefined;
  if (new Date(certificate.validTo).getTime() - now.getTime() < CA_RENEW_BEFORE_DAYS * DAY_MS) return undefined;
  return { certificatePem, privateKeyPem };
}

/**
 * The development CA of `stateDir`, created on first use. Concurrent first uses are safe: each writes a
 * complete temporary file and hard-links it into place, which fails for all but the first; the others
 * then read the winner's CA.
 */
function ensureCa(stateDir: string, now: Date): { certificatePem: string; privateKeyPem: string } {
  const file = path.join(stateDir, SERVER_CA_KEY_FILE);
  const existing = readCa(file, now);
  if (existing) return existing;
  if (fs.existsSync(file)) fs.rmSync(file); // unusable or about to expire: replace it
  const created = createCa(now);
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temporary, created.certificatePem + created.privateKeyPem, { mode: 0o600 });
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  const stored = readCa(file, now);
  if (!stored) throw new Error(`the development CA in ${file} could not be read back`);
  return stored;
}

/** The development CA's certificate (created once, kept in `stateDir`): what clients of the local mTLS endpoint trust. */
export function developmentCaCertificatePem(stateDir: string, now = new Date()): string {
  fs.mkdirSync(stateDir, { recursive: true });
  return ensureCa(stateDir, now).certificatePem;
}

/**
 * The mTLS endpoint's server credentials for `stateDir`: the development CA (created once, kept) and a
 * fresh server certificate signed by it. Writes the CA certificate to <stateDir>/mtls-server-ca.pem.
 */
export function developmentServerCredentials(stateDir: string, now = new Date()): DevelopmentServerCredentials {
  fs.mkdirSync(stateDir, { recursive: true });
  const ca = ensureCa(stateDir, now);
  const caCertificateFile = path.resolve(stateDir, SERVER_CA_FILE);
  // Rewritten on every start (same content unless the CA was replaced): clients always find the current one.
  const temporary = `${caCertificateFile}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, ca.certificatePem);
  fs.renameSync(temporary, caCertificateFile);
  const server = issueServerCertificate(ca, now);
  return { caCertificatePem: ca.certificatePem, caCertificateFile, ...server };
}
