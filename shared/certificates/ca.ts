// The pairing Certificate Authority that issues: client certificates signed by the current CA's AWS KMS key (SIGN_VERIFY,
// it never leaves KMS), CA certificates, and the current CA loaded from the registry's bounded cache. Making, migrating,
// rotating, activating and retiring CAs is ca-lifecycle.ts.
import { createHash, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { config } from '../config';
import { InternalError } from '../errors';
import { signWithKms } from '../aws/kms';
import { currentCa, type CaEntry, type CaRegistry } from './ca-registry';
import { DAY_MS } from '../time';
import { children, decodeDer, encodeDer, isContext, isUniversal, oidOf, primitiveBytes, sequence, set, oid, printableString, utf8String, toPem, timeToDate, Type, type Asn1 } from './der';
import { formatSubject } from './subject';
import { crlUrl } from './crl';
import type { CsrKey, ValidatedCsr } from './csr';
import { loadCaRegistry } from './ca-registry-secret';
import {
  authorityKeyIdentifier,
  basicConstraints,
  crlDistributionPoints,
  extendedKeyUsage,
  keyIdentifier,
  KeyUsage,
  keyUsage,
  OID,
  sha256WithRsa,
  signCertificate,
  subjectKeyIdentifier,
  type Extension,
  type Signer,
} from './x509';

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
  /** The registry id of the CA that signed it. */
  caId: string;
}

export interface IssueOptions {
  /** Days from now until NotAfter; default config().certificateValidityDays. Never beyond the CA's own NotAfter. */
  validityDays?: number;
  now?: Date;
}

/**
 * The CA keys' KMS key spec and signing algorithm. RSA-2048 with PKCS#1 v1.5 / SHA-256 keeps the chain clients know
 * (sha256WithRSAEncryption, the algorithm of a CA migrated from Secrets Manager, so a migrated stage trusts one algorithm), see docs/design.md "Certificates".
 */
export const CA_KEY_SPEC = 'RSA_2048';
export const CA_SIGNING_ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';
const MINUTE_MS = 60_000;

/**
 * A certificate's serial: 9 random bytes, the first in 01..7f, so positive, of fixed length and with 71 random bits
 * (the CA/Browser Forum asks for at least 64; forge/Node reject a leading 00 byte). Not longer: each revoked
 * certificate's entry in its CA's CRL carries the serial (docs/design.md "Revocation").
 */
export function randomSerial(): Buffer {
  const serial = randomBytes(9);
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

export interface CaCertificateFields {
  subjectDer: Buffer;
  notAfter: Date;
  keyIdentifier: Buffer;
}

// The issuer Name and key identifier are copied from the CA certificate itself, so that chain building
// (issuer = CA subject byte for byte, AKI = CA's SKI) holds even for a CA made by another tool.
export function caCertificateFields(certificate: X509Certificate): CaCertificateFields {
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

/** The CA's signer: every signature is one KMS Sign call with the key; nothing but its ARN is held here. */
export function kmsCaSigner(keyArn: string): Signer {
  return { algorithmIdentifier: sha256WithRsa(), sign: (tbsDer) => signWithKms(keyArn, tbsDer, CA_SIGNING_ALGORITHM) };
}

export class CertificateAuthority {
  /** The registry id (ca-<n>). */
  readonly id: string;
  readonly certificatePem: string;
  /** The CA certificate's NotAfter: no issued certificate outlives it. */
  readonly notAfter: Date;
  readonly #signer: Signer;
  readonly #issuerDer: Buffer;
  /** The extensions every client certificate for a key of this type carries (all but its subject key identifier). */
  readonly #commonExtensions: Readonly<Record<CsrKey['type'], Extension[]>>;

  private constructor(id: string, certificatePem: string, signer: Signer, fields: CaCertificateFields, crlUrl?: string) {
    this.id = id;
    this.certificatePem = certificatePem;
    this.notAfter = fields.notAfter;
    this.#signer = signer;
    this.#issuerDer = fields.subjectDer;
    // With crlUrl, certificates name where this CA's CRL is (certificates issued before simply have no such extension).
    const crl = crlUrl ? [crlDistributionPoints(crlUrl)] : [];
    const extensionsWith = (usage: Extension) => [basicConstraints(false), usage, extendedKeyUsage([OID.clientAuth]), authorityKeyIdentifier(fields.keyIdentifier), ...crl];
    this.#commonExtensions = { RSA: extensionsWith(KEY_USAGE.RSA), EC: extensionsWith(KEY_USAGE.EC) };
  }

  /** The CA of this certificate, signing with `signer` (the CA's KMS key: kmsCaSigner). */
  static withSigner(id: string, certificatePem: string, signer: Signer, options: { crlUrl?: string } = {}): CertificateAuthority {
    const certificate = new X509Certificate(certificatePem);
    if (!certificate.ca) throw new Error('the pairing CA certificate is not a CA certificate');
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new Error('the pairing CA key must be an RSA key (certificates are signed sha256WithRSAEncryption)');
    return new CertificateAuthority(id, certificate.toString(), signer, caCertificateFields(certificate), options.crlUrl);
  }

  /** Issues a client certificate (API.md section 5; keyUsage by key type, see KEY_USAGE) for a CSR that validateCsr accepted. */
  async issue(csr: ValidatedCsr, options: IssueOptions = {}): Promise<IssuedCertificate> {
    const validityDays = options.validityDays ?? config().certificateValidityDays;
    if (!Number.isFinite(validityDays) || validityDays <= 0) throw new RangeError(`validityDays must be a positive number, got ${validityDays}`);
    const now = (options.now ?? new Date()).getTime();
    const notBefore = wholeSeconds(now - MINUTE_MS);
    const notAfter = wholeSeconds(Math.min(now + validityDays * DAY_MS, this.notAfter.getTime()));
    const serial = randomSerial();
    const der = await signCertificate(
      {
        serial,
        issuerDer: this.#issuerDer,
        subjectDer: csr.subjectDer,
        subjectPublicKeyInfoDer: csr.subjectPublicKeyInfoDer,
        notBefore,
        notAfter,
        extensions: [...this.#commonExtensions[csr.key.type], subjectKeyIdentifier(keyIdentifier(csr.subjectPublicKeyInfoDer))],
      },
      this.#signer,
    );
    return {
      certificatePem: toPem(der, 'CERTIFICATE'),
      serialNumber: serial.toString('hex'),
      sha256Fingerprint: createHash('sha256').update(der).digest('hex'),
      subject: formatSubject(csr.subject),
      notBefore,
      notAfter,
      caId: this.id,
    };
  }
}

export interface CertificateAuthorityOptions {
  commonName?: string;
  validityYears?: number;
  now?: Date;
}

/**
 * A self-signed CA certificate for `publicKey`, signed by `signer` (the same key's private half: kmsCaSigner for the
 * service, so the bootstrap and rotate-ca make it through KMS). 10 years by default.
 */
export async function createCaCertificate(publicKey: KeyObject, signer: Signer, options: CertificateAuthorityOptions = {}): Promise<string> {
  const { commonName = 'Pairing Service CA', validityYears = 10 } = options;
  if (!Number.isInteger(validityYears) || validityYears <= 0) throw new RangeError(`validityYears must be a positive integer, got ${validityYears}`);
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
  const der = await signCertificate(
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
    signer,
  );
  const pem = toPem(der, 'CERTIFICATE');
  // A signer that is not the key's private half would publish a CA nothing chains to: refuse it here.
  if (!new X509Certificate(pem).verify(publicKey)) throw new Error('the CA certificate does not verify with its own public key');
  return pem;
}

let loaded: { registry: CaRegistry; authority: CertificateAuthority } | undefined;

/**
 * The current pairing CA, signing through KMS. What is cached (per registry value, re-read at most every
 * caRegistryMaxAgeSeconds()) is public: the certificate and the key ARN. Every signature is a kms:Sign call.
 */
export async function loadCertificateAuthority(): Promise<CertificateAuthority> {
  const registry = await loadCaRegistry();
  if (loaded?.registry !== registry) {
    const current = currentCa(registry);
    try {
      // The CRL URL needs an absolute base URL (every deployed stage and `npm start` have one).
      const base = config().publicBaseUrl;
      loaded = { registry, authority: CertificateAuthority.withSigner(current.id, current.certificatePem, kmsCaSigner(current.keyArn!), { crlUrl: base ? crlUrl(base, current.id) : undefined }) };
    } catch (cause) {
      throw new InternalError('The pairing certificate authority is unusable', { cause });
    }
  }
  return loaded.authority;
}

export type { CaEntry, CaRegistry };
// The registry's reading side lives in ca-registry-secret.ts (no ASN.1 there); its importers may keep importing it from here.
export { CA_REGISTRY_SECRET, caRegistryMaxAgeSeconds, loadCaRegistry, loadCaRegistryFresh, loadTrustedCas, type TrustedCa } from './ca-registry-secret';
