// The pairing Certificate Authority: created once into Secrets Manager, loaded with a bounded cache, and issuing client certificates.
import { createHash, createPrivateKey, generateKeyPair, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { config } from '../config';
import { InternalError } from '../errors';
import { createSecret, readSecret, secretName, SecretExistsError } from '../aws/secrets';
import { children, decodeDer, encodeDer, isContext, isUniversal, oidOf, primitiveBytes, sequence, set, oid, printableString, utf8String, toPem, timeToDate, Type, type Asn1 } from './der';
import { formatSubject } from './subject';
import type { CsrKey, ValidatedCsr } from './csr';
import {
  authorityKeyIdentifier,
  basicConstraints,
  extendedKeyUsage,
  keyIdentifier,
  KeyUsage,
  keyUsage,
  OID,
  signCertificate,
  subjectKeyIdentifier,
  type Extension,
} from './x509';

/** The CA as stored in the `pairing-ca` secret. */
export interface CertificateAuthorityMaterial {
  certificatePem: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
}

export interface IssuedCertificate {
  certificatePem: string;
  /** Lowercase hex of the serial number's bytes. */
  serialNumber: string;
  /** Lowercase hex SHA-256 over the certificate DER. */
  sha256Fingerprint: string;
  /** The subject as announced, e.g. "O=...,OU=...,L=...,ST=...,C=...,CN=<systemAuthId>". */
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IssueOptions {
  /** Days from now until NotAfter; default config().certificateValidityDays. Never beyond the CA's own NotAfter. */
  validityDays?: number;
  now?: Date;
}

const CA_SECRET = 'pairing-ca';
/** The CA certificate PEM alone: what verifiers read, so their roles never get the private key. */
const CA_CERTIFICATE_SECRET = 'pairing-ca-certificate';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** 16 random bytes, the first in 01..7f: positive, fixed length and 120+ random bits (forge/Node reject a leading 00 byte). */
function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f || 0x01;
  return serial;
}

// keyUsage by the subject key's type. An EC key only signs (ECDSA in the TLS handshake), and RFC 5480 section 3
// forbids keyEncipherment for it; RSA keeps the pair API.md section 5 names, which RFC 3279 section 2.3.1 allows.
const KEY_USAGE: Readonly<Record<CsrKey['type'], Extension>> = {
  RSA: keyUsage([KeyUsage.digitalSignature, KeyUsage.keyEncipherment]),
  EC: keyUsage([KeyUsage.digitalSignature]),
};

/** Whole seconds, because X.509 times carry no fractions: the returned dates equal what the certificate says. */
const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

interface CaCertificateFields {
  subjectDer: Buffer;
  notAfter: Date;
  keyIdentifier: Buffer;
}

// The issuer Name and key identifier are copied from the CA certificate itself, so that chain building
// (issuer = CA subject byte for byte, AKI = CA's SKI) holds even for a CA made by another tool.
function caCertificateFields(certificate: X509Certificate): CaCertificateFields {
  const tbs = children(children(decodeDer(certificate.raw))[0]!);
  const offset = isContext(tbs[0], 0) ? 1 : 0;
  const validity = children(tbs[offset + 3]!);
  const subject = tbs[offset + 4]!;
  const spki = tbs[offset + 5]!;
  const extensionsField = tbs.find((field) => isContext(field, 3));
  let skid: Buffer | undefined;
  for (const extension of extensionsField ? children(children(extensionsField)[0]!) : []) {
    const fields = children(extension);
    if (oidOf(fields[0]!) !== OID.subjectKeyIdentifier) continue;
    const value = decodeDer(primitiveBytes(fields[fields.length - 1]!));
    if (isUniversal(value, Type.OCTETSTRING)) skid = primitiveBytes(value);
  }
  return { subjectDer: encodeDer(subject), notAfter: timeToDate(validity[1]!), keyIdentifier: skid ?? keyIdentifier(encodeDer(spki)) };
}

export class CertificateAuthority {
  readonly certificatePem: string;
  /** The CA certificate's NotAfter: no issued certificate outlives it. */
  readonly notAfter: Date;
  readonly #key: KeyObject;
  readonly #issuerDer: Buffer;
  /** The extensions every client certificate for a key of this type carries (all but its subject key identifier). */
  readonly #commonExtensions: Readonly<Record<CsrKey['type'], Extension[]>>;

  private constructor(certificatePem: string, key: KeyObject, fields: CaCertificateFields) {
    this.certificatePem = certificatePem;
    this.notAfter = fields.notAfter;
    this.#key = key;
    this.#issuerDer = fields.subjectDer;
    const extensionsWith = (usage: Extension) => [basicConstraints(false), usage, extendedKeyUsage([OID.clientAuth]), authorityKeyIdentifier(fields.keyIdentifier)];
    this.#commonExtensions = { RSA: extensionsWith(KEY_USAGE.RSA), EC: extensionsWith(KEY_USAGE.EC) };
  }

  /** Parses the CA once: the private key becomes a KeyObject here, not per signature (about 3x faster signing). */
  static fromMaterial(material: CertificateAuthorityMaterial): CertificateAuthority {
    const certificate = new X509Certificate(material.certificatePem);
    const key = createPrivateKey(material.privateKeyPem);
    if (!certificate.ca) throw new Error('the pairing CA certificate is not a CA certificate');
    if (key.asymmetricKeyType !== 'rsa') throw new Error('the pairing CA key must be an RSA key (certificates are signed sha256WithRSAEncryption)');
    if (!certificate.checkPrivateKey(key)) throw new Error('the pairing CA private key does not belong to its certificate');
    return new CertificateAuthority(certificate.toString(), key, caCertificateFields(certificate));
  }

  /** Issues a client certificate (API.md section 5; keyUsage by key type, see KEY_USAGE) for a CSR that validateCsr accepted. */
  issue(csr: ValidatedCsr, options: IssueOptions = {}): IssuedCertificate {
    const validityDays = options.validityDays ?? config().certificateValidityDays;
    if (!Number.isFinite(validityDays) || validityDays <= 0) throw new RangeError(`validityDays must be a positive number, got ${validityDays}`);
    const now = (options.now ?? new Date()).getTime();
    const notBefore = wholeSeconds(now - MINUTE_MS);
    const notAfter = wholeSeconds(Math.min(now + validityDays * DAY_MS, this.notAfter.getTime()));
    const serial = randomSerial();
    const der = signCertificate(
      {
        serial,
        issuerDer: this.#issuerDer,
        subjectDer: csr.subjectDer,
        subjectPublicKeyInfoDer: csr.subjectPublicKeyInfoDer,
        notBefore,
        notAfter,
        extensions: [...this.#commonExtensions[csr.key.type], subjectKeyIdentifier(keyIdentifier(csr.subjectPublicKeyInfoDer))],
      },
      this.#key,
    );
    return {
      certificatePem: toPem(der, 'CERTIFICATE'),
      serialNumber: serial.toString('hex'),
      sha256Fingerprint: createHash('sha256').update(der).digest('hex'),
      subject: formatSubject(csr.subject),
      notBefore,
      notAfter,
    };
  }
}

export interface CertificateAuthorityOptions {
  commonName?: string;
  validityYears?: number;
  keyBits?: 2048 | 3072;
  now?: Date;
}

/** A new self-signed CA (RSA key from node:crypto, 10 years by default); also used by the deployment's custom resource. */
export async function generateCertificateAuthority(options: CertificateAuthorityOptions = {}): Promise<CertificateAuthorityMaterial> {
  const { commonName = 'Pairing Service CA', validityYears = 10, keyBits = 2048 } = options;
  if (!Number.isInteger(validityYears) || validityYears <= 0) throw new RangeError(`validityYears must be a positive integer, got ${validityYears}`);
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: keyBits });
  const now = (options.now ?? new Date()).getTime();
  const notAfter = wholeSeconds(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + validityYears);
  const attribute = (type: string, value: Asn1) => set(sequence(oid(type), value));
  const subjectDer = encodeDer(
    sequence(
      attribute('2.5.4.6', printableString(config().csrSubject.country)),
      attribute('2.5.4.10', utf8String(config().csrSubject.organization)),
      attribute('2.5.4.3', utf8String(commonName)),
    ),
  );
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
  const skid = keyIdentifier(spkiDer);
  const der = signCertificate(
    {
      serial: randomSerial(),
      issuerDer: subjectDer,
      subjectDer,
      subjectPublicKeyInfoDer: spkiDer,
      notBefore: wholeSeconds(now - MINUTE_MS),
      notAfter,
      // pathLen 0: the pairing CA signs client certificates only, never another CA.
      extensions: [basicConstraints(true, 0), keyUsage([KeyUsage.keyCertSign, KeyUsage.cRLSign]), subjectKeyIdentifier(skid), authorityKeyIdentifier(skid)],
    },
    privateKey,
  );
  return {
    certificatePem: toPem(der, 'CERTIFICATE'),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * Creates the `pairing-ca` secret unless it exists, then `pairing-ca-certificate` (its certificate alone) unless that
 * exists, so a stack whose CA predates the public secret gets it on its next deployment. Safe to run concurrently:
 * both are created with CreateSecret, so when two processes race exactly one CA is stored and the loser keeps the
 * winner's; the certificate is copied from the stored CA (re-read after a lost race), never from a generated one.
 */
export async function ensureCertificateAuthority(): Promise<void> {
  const name = secretName(CA_SECRET);
  let stored = await readSecret(name, 0);
  if (stored === undefined) {
    const material = await generateCertificateAuthority();
    try {
      await createSecret(name, JSON.stringify(material), 'Pairing CA: certificate and private key (JSON)');
      stored = JSON.stringify(material);
    } catch (error) {
      if (!(error instanceof SecretExistsError)) throw error;
      stored = await readSecret(name, 0);
      if (stored === undefined) throw error;
    }
  }
  await ensureCaCertificateSecret(parseMaterial(stored).certificatePem);
}

async function ensureCaCertificateSecret(certificatePem: string): Promise<void> {
  const name = secretName(CA_CERTIFICATE_SECRET);
  let published = await readSecret(name, 0);
  if (published === undefined) {
    try {
      await createSecret(name, certificatePem, 'Pairing CA: certificate only (PEM), for verifying client certificates');
      return;
    } catch (error) {
      if (!(error instanceof SecretExistsError)) throw error;
      published = await readSecret(name, 0);
    }
  }
  // Nothing here overwrites a secret (the bootstrap may not): a certificate of another CA would refuse every
  // client certificate, so fail the deployment rather than start it so.
  if (published !== certificatePem) throw new Error(`secret ${CA_CERTIFICATE_SECRET} does not hold the certificate of ${CA_SECRET}`);
}

/** The pairing CA certificate PEM from the public secret (readSecret's bounded cache): for verifiers, who need no key. */
export async function loadCaCertificatePem(): Promise<string> {
  const name = secretName(CA_CERTIFICATE_SECRET);
  // A cached "absent" may predate ensureCertificateAuthority in another process: ask again before failing.
  const pem = (await readSecret(name)) ?? (await readSecret(name, 0));
  if (pem === undefined) throw new InternalError(`The pairing certificate authority is not set up (secret ${CA_CERTIFICATE_SECRET} is missing)`);
  return pem;
}

let loaded: { secret: string; authority: CertificateAuthority } | undefined;

function parseMaterial(secret: string): CertificateAuthorityMaterial {
  const value: unknown = JSON.parse(secret);
  const { certificatePem, privateKeyPem } = (value ?? {}) as Partial<Record<keyof CertificateAuthorityMaterial, unknown>>;
  if (typeof certificatePem !== 'string' || typeof privateKeyPem !== 'string') throw new Error('expected {certificatePem, privateKeyPem}');
  return { certificatePem, privateKeyPem };
}

/**
 * The pairing CA. The secret is re-read at most every config().secretCacheSeconds (readSecret's cache), and
 * parsed again only when its value changed, so the key is a KeyObject parsed once per CA, not per request.
 */
export async function loadCertificateAuthority(): Promise<CertificateAuthority> {
  const name = secretName(CA_SECRET);
  // A cached "absent" may predate ensureCertificateAuthority in another process: ask again before failing.
  const secret = (await readSecret(name)) ?? (await readSecret(name, 0));
  if (secret === undefined) throw new InternalError('The pairing certificate authority is not set up (secret pairing-ca is missing)');
  if (loaded?.secret !== secret) {
    try {
      loaded = { secret, authority: CertificateAuthority.fromMaterial(parseMaterial(secret)) };
    } catch (cause) {
      throw new InternalError('The pairing certificate authority secret is unusable', { cause });
    }
  }
  return loaded.authority;
}
