// Test support: builds PKCS#10 CSRs byte by byte, so tests can make well-formed requests with any key, subject or signature, and break them.
import { createHash, createPublicKey, generateKeyPairSync, generatePrimeSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { announcedSubject, type CertificateSubject } from '../../../shared/certificates/subject';

const { asn1 } = forge;
const seq = (...items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const oid = (dotted: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
const parse = (der: Buffer) => asn1.fromDer(der.toString('latin1'));
const der = (node: forge.asn1.Asn1) => Buffer.from(asn1.toDer(node).getBytes(), 'latin1');

/** The subject defaults every test uses, independent of the environment. */
export const TEST_SUBJECT_DEFAULTS = {
  organization: 'Pairing Service',
  organizationalUnit: 'Applications',
  locality: 'Berlin',
  province: 'Berlin',
  country: 'DE',
};

export const expectedSubject = (systemAuthId: string): CertificateSubject => announcedSubject(systemAuthId, TEST_SUBJECT_DEFAULTS);

/** RDNs as written into the CSR: each inner array is one RDN (more than one entry makes it multi-valued). */
export type RdnSpec = Array<Array<{ oid: string; value: string; stringType?: forge.asn1.Type }>>;

export const rdnsOf = (subject: CertificateSubject): RdnSpec => subject.map((rdn) => [{ oid: rdn.oid, value: rdn.value }]);

export interface SignatureSpec {
  /** OID of the signature algorithm written into the CSR. */
  oid: string;
  /** Digest given to crypto.sign (null for Ed25519). */
  hash: string | null;
  /** Encoded AlgorithmIdentifier parameters; absent when undefined. */
  parameters?: forge.asn1.Asn1;
}

export const SHA256_WITH_RSA: SignatureSpec = {
  oid: '1.2.840.113549.1.1.11',
  hash: 'sha256',
  parameters: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
};
export const ECDSA_WITH_SHA256: SignatureSpec = { oid: '1.2.840.10045.4.3.2', hash: 'sha256' };
export const ED25519: SignatureSpec = { oid: '1.3.101.112', hash: null };

export interface CsrSpec {
  privateKey: KeyObject;
  publicKey: KeyObject;
  rdns: RdnSpec;
  signature: SignatureSpec;
}

function nameNode(rdns: RdnSpec): forge.asn1.Asn1 {
  return seq(
    ...rdns.map((rdn) =>
      asn1.create(
        asn1.Class.UNIVERSAL,
        asn1.Type.SET,
        true,
        rdn.map(({ oid: type, value, stringType = asn1.Type.UTF8 }) =>
          seq(oid(type), asn1.create(asn1.Class.UNIVERSAL, stringType, false, stringType === asn1.Type.UTF8 ? forge.util.encodeUtf8(value) : value)),
        ),
      ),
    ),
  );
}

function requestInfo(publicKey: KeyObject, rdns: RdnSpec): forge.asn1.Asn1 {
  return seq(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x00'),
    nameNode(rdns),
    parse(publicKey.export({ type: 'spki', format: 'der' })),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, []),
  );
}

function signedRequest(info: forge.asn1.Asn1, algorithm: SignatureSpec, signature: Buffer): Buffer {
  const algorithmNode = seq(oid(algorithm.oid), ...(algorithm.parameters ? [algorithm.parameters] : []));
  const bits = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${signature.toString('latin1')}`);
  return der(seq(info, algorithmNode, bits));
}

/** DER of a CSR signed with its own key as described. */
export function buildCsrDer(spec: CsrSpec): Buffer {
  const info = requestInfo(spec.publicKey, spec.rdns);
  return signedRequest(info, spec.signature, sign(spec.signature.hash, der(info), spec.privateKey));
}

export const toPem = (der: Buffer, label = 'CERTIFICATE REQUEST') =>
  `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/** What the Connector receives: base64 of the PEM text. */
export const base64Pem = (der: Buffer, label?: string) => Buffer.from(toPem(der, label)).toString('base64');

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const rsaKeyPair = (bits: number, publicExponent = 65537): KeyPair => generateKeyPairSync('rsa', { modulusLength: bits, publicExponent });
export const ecKeyPair = (namedCurve: string): KeyPair => generateKeyPairSync('ec', { namedCurve });
export const ed25519KeyPair = (): KeyPair => generateKeyPairSync('ed25519');

/** A correct CSR for the announced subject of `systemAuthId`. */
export function goodCsrDer(keys: KeyPair, systemAuthId: string, signature = SHA256_WITH_RSA): Buffer {
  return buildCsrDer({ ...keys, rdns: rdnsOf(expectedSubject(systemAuthId)), signature });
}

// ---- RSA keys as bare numbers: keys no key generator makes (e = 1, an even modulus, a small factor) ----

/** An RSA key as numbers: modulus n, public exponent e, and the private exponent d the CSR is signed with. */
export interface RawRsaKey {
  n: bigint;
  e: bigint;
  d: bigint;
}

/** Big-endian bytes of a non-negative number, left-padded with zeros to `length`. */
function bytesOf(value: bigint, length = 0): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.padStart(Math.max(length * 2, hex.length + (hex.length % 2)), '0'), 'hex');
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  for (let b = base % modulus, e = exponent; e > 0n; e >>= 1n, b = (b * b) % modulus) if (e & 1n) result = (result * b) % modulus;
  return result;
}

function modInverse(value: bigint, modulus: bigint): bigint {
  let [r0, r1, t0, t1] = [modulus, value % modulus, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, t0, t1] = [r1, r0 - q * r1, t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new Error('no inverse: choose other primes');
  return ((t0 % modulus) + modulus) % modulus;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** A random prime of `bits` bits that suits exponent 65537 (65537 does not divide p - 1). */
export function rsaPrime(bits: number): bigint {
  for (;;) {
    const prime = generatePrimeSync(bits, { bigint: true });
    if ((prime - 1n) % 65537n !== 0n) return prime;
  }
}

/** The RSA key over distinct primes (two for a real key; [3n, q] or [2n, q] for a weak modulus): d = e^-1 mod lcm(p - 1). */
export function rsaKeyOfPrimes(primes: bigint[], e = 65537n): RawRsaKey {
  const lambda = primes.reduce((l, p) => (l * (p - 1n)) / gcd(l, p - 1n), 1n);
  return { n: primes.reduce((n, p) => n * p, 1n), e, d: modInverse(e, lambda) };
}

/** Exponent 1 over a random odd 2048-bit number, no RSA key at all: "signing" with d = 1 changes nothing, so anyone can. */
export const exponentOneKey = (): RawRsaKey => ({ n: BigInt(`0x${randomBytes(256).toString('hex')}`) | (1n << 2047n) | 1n, e: 1n, d: 1n });

/** DigestInfo header of a SHA-256 hash (RFC 8017 section 9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * sha256WithRSAEncryption computed by hand: EMSA-PKCS1-v1_5 encoding of the digest, raised to d mod n. node:crypto
 * cannot sign with a key like e = d = 1, where this "signature" is the encoded digest itself: that is the weakness.
 */
function textbookRsaSignature(message: Buffer, key: RawRsaKey): Buffer {
  const { length } = bytesOf(key.n);
  const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, createHash('sha256').update(message).digest()]);
  const encoded = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(length - digestInfo.length - 3, 0xff), Buffer.from([0]), digestInfo]);
  return bytesOf(modPow(BigInt(`0x${encoded.toString('hex')}`), key.d, key.n), length);
}

/** A CSR for the announced subject of `systemAuthId` whose public key is (n, e), signed with d. */
export function rawRsaCsrDer(key: RawRsaKey, systemAuthId: string): Buffer {
  const jwk = { kty: 'RSA', n: bytesOf(key.n).toString('base64url'), e: bytesOf(key.e).toString('base64url') };
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  const info = requestInfo(publicKey, rdnsOf(expectedSubject(systemAuthId)));
  return signedRequest(info, SHA256_WITH_RSA, textbookRsaSignature(der(info), key));
}
