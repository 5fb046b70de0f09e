// X.509 v3 certificates built as DER around raw key and name bytes and signed by a Signer (works for RSA and EC subject keys).
import { createHash } from 'node:crypto';
import {
  bitString,
  boolean,
  children,
  decodeDer,
  encodeDer,
  explicit,
  implicitPrimitive,
  isUniversal,
  namedBits,
  nullValue,
  octetString,
  oid,
  sequence,
  smallInteger,
  time,
  Type,
  unsignedInteger,
  type Asn1,
} from './der';

export const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  cRLDistributionPoints: '2.5.29.31',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** keyUsage bit numbers (RFC 5280 4.2.1.3). */
export const KeyUsage = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export interface Extension {
  oid: string;
  critical: boolean;
  value: Asn1;
}

export interface TbsCertificate {
  /** Positive serial number, big-endian. */
  serial: Buffer;
  /** DER of the issuer Name, copied from the issuing certificate so chain building matches byte for byte. */
  issuerDer: Buffer;
  subjectDer: Buffer;
  subjectPublicKeyInfoDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

/**
 * What signs a TBSCertificate: the AlgorithmIdentifier it signs with (written twice into the certificate) and the
 * signature over the TBS DER in X.509's format (PKCS#1 v1.5 bytes for RSA). The CA's is KMS (shared/certificates/ca.ts);
 * this module never sees a key.
 */
export interface Signer {
  readonly algorithmIdentifier: Asn1;
  sign(tbsDer: Buffer): Promise<Buffer>;
}

/** AlgorithmIdentifier of sha256WithRSAEncryption (RFC 4055: parameters NULL). */
export const sha256WithRsa = (): Asn1 => sequence(oid(OID.sha256WithRSAEncryption), nullValue());

function extensionNode(extension: Extension): Asn1 {
  const fields = [oid(extension.oid)];
  if (extension.critical) fields.push(boolean(true));
  fields.push(octetString(encodeDer(extension.value)));
  return sequence(...fields);
}

/**
 * Signs the TBSCertificate with the signer and returns the certificate DER. The signature is the one costly
 * (and, with KMS, remote) step; everything else is byte assembly.
 */
export async function signCertificate(tbs: TbsCertificate, signer: Signer): Promise<Buffer> {
  const tbsNode = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(tbs.serial),
    signer.algorithmIdentifier,
    decodeDer(tbs.issuerDer),
    sequence(time(tbs.notBefore), time(tbs.notAfter)),
    decodeDer(tbs.subjectDer),
    decodeDer(tbs.subjectPublicKeyInfoDer),
    explicit(3, sequence(...tbs.extensions.map(extensionNode))),
  );
  const signature = await signer.sign(encodeDer(tbsNode));
  return encodeDer(sequence(tbsNode, signer.algorithmIdentifier, bitString(signature)));
}

/** The subjectPublicKey bits of a SubjectPublicKeyInfo (without the unused-bits byte). */
function subjectPublicKeyBits(spkiDer: Buffer): Buffer {
  const [, key] = children(decodeDer(spkiDer));
  if (!isUniversal(key, Type.BITSTRING) || typeof key.value !== 'string') throw new Error('SubjectPublicKeyInfo without a key');
  return Buffer.from(key.value, 'latin1').subarray(1);
}

/** Key identifier method 1 of RFC 5280 4.2.1.2: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(spkiDer)).digest();
}

export const basicConstraints = (ca: boolean, pathLength?: number): Extension => {
  const fields: Asn1[] = [];
  if (ca) fields.push(boolean(true));
  if (ca && pathLength !== undefined) fields.push(smallInteger(pathLength));
  return { oid: OID.basicConstraints, critical: true, value: sequence(...fields) };
};

export const keyUsage = (bits: number[]): Extension => ({ oid: OID.keyUsage, critical: true, value: namedBits(bits) });

export const extendedKeyUsage = (purposes: string[]): Extension => ({
  oid: OID.extendedKeyUsage,
  critical: false,
  value: sequence(...purposes.map(oid)),
});

export const subjectKeyIdentifier = (id: Buffer): Extension => ({
  oid: OID.subjectKeyIdentifier,
  critical: false,
  value: octetString(id),
});

export const authorityKeyIdentifier = (id: Buffer): Extension => ({
  oid: OID.authorityKeyIdentifier,
  critical: false,
  value: sequence(implicitPrimitive(0, id)),
});

/**
 * CRL Distribution Points with one distribution point, the URL of the issuing CA's CRL (RFC 5280 4.2.1.13):
 * SEQUENCE { DistributionPoint { distributionPoint [0] { fullName [0] { uniformResourceIdentifier [6] url } } } }.
 */
export function crlDistributionPoints(url: string): Extension {
  if (!/^https?:\/\/[\x21-\x7e]+$/.test(url)) throw new RangeError(`a CRL distribution point is an http(s) URL in ASCII, got ${JSON.stringify(url)}`);
  // Both [0] tags are constructed around one element: distributionPoint wraps the CHOICE, fullName is GeneralNames (IMPLICIT).
  const uri = implicitPrimitive(6, Buffer.from(url, 'latin1'));
  return { oid: OID.cRLDistributionPoints, critical: false, value: sequence(sequence(explicit(0, explicit(0, uri)))) };
}
