// X.509 v2 certificate revocation lists (RFC 5280 section 5): the TBSCertList as DER, signed by a Signer (the CA's KMS key).
import { createVerify, X509Certificate } from 'node:crypto';
import { encodeDer, explicit, octetString, oid, sequence, smallInteger, time, unsignedInteger, type Asn1 } from './der';
import { authorityKeyIdentifier, type Extension, type Signer } from './x509';

export const CRL_OID = {
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  cRLDistributionPoints: '2.5.29.31',
} as const;

/** The CRLReason values this service writes (RFC 5280 5.3.1). */
export const REVOCATION_REASONS = { unspecified: 0, superseded: 4, cessationOfOperation: 5 } as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;
export const isRevocationReason = (value: unknown): value is RevocationReason =>
  typeof value === 'string' && Object.hasOwn(REVOCATION_REASONS, value);

/** Where CA `caId`'s CRL is served (GET /crl/<caId>.crl): what the CRL Distribution Points extension of its certificates names. */
export const crlUrl = (publicBaseUrl: string, caId: string): string => `${publicBaseUrl}/crl/${caId}.crl`;

/** One revoked certificate as the CRL lists it. */
export interface CrlEntry {
  /** Hex of the serial number's bytes, as the CA assigned it. */
  serialNumber: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlContents {
  /** DER of the CA's subject Name: the CRL's issuer, byte for byte. */
  issuerDer: Buffer;
  /** The CA certificate's subject key identifier: the CRL's authority key identifier. */
  authorityKeyId: Buffer;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly CrlEntry[];
}

// The revoked-certificate list is the only part that grows: it is written as bytes directly rather than through
// forge's node tree (six nodes and a string per entry would cost most of the 2 s budget at 100,000 entries).
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);

/** reasonCode extension values, encoded once: SEQUENCE { OID 2.5.29.21, OCTET STRING { ENUMERATED n } }. */
const REASON_EXTENSIONS: Readonly<Record<RevocationReason, Buffer | undefined>> = {
  // RFC 5280 5.3.1: "the reasonCode extension SHOULD be absent instead of using the unspecified (0) reasonCode value".
  unspecified: undefined,
  superseded: reasonExtensions(REVOCATION_REASONS.superseded),
  cessationOfOperation: reasonExtensions(REVOCATION_REASONS.cessationOfOperation),
};

function reasonExtensions(code: number): Buffer {
  const extension = tlv(0x30, Buffer.concat([encodeDer(oid(CRL_OID.reasonCode)), tlv(0x04, tlv(0x0a, Buffer.from([code])))]));
  return tlv(0x30, extension);
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 5.1.2.6), whole seconds. */
function timeBytes(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1')) : tlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

function serialBytes(hex: string): Buffer {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new Error(`not a hex serial number: ${JSON.stringify(hex)}`);
  let magnitude = Buffer.from(hex, 'hex');
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  magnitude = magnitude.subarray(start);
  return tlv(0x02, magnitude[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
}

function entryBytes(entry: CrlEntry): Buffer {
  const parts = [serialBytes(entry.serialNumber), timeBytes(entry.revokedAt)];
  const extensions = REASON_EXTENSIONS[entry.reason];
  if (extensions) parts.push(extensions);
  return tlv(0x30, Buffer.concat(parts));
}

function extensionNode(extension: Extension): Asn1 {
  // Neither CRL extension here is critical: the DEFAULT FALSE is left out (DER).
  return sequence(oid(extension.oid), octetString(encodeDer(extension.value)));
}

/** The DER of the TBSCertList, entries in the given order; `signatureAlgorithm` is the signer's AlgorithmIdentifier. */
export function tbsCertList(contents: CrlContents, signatureAlgorithm: Asn1): Buffer {
  if (contents.nextUpdate.getTime() <= contents.thisUpdate.getTime()) throw new RangeError('nextUpdate must be after thisUpdate');
  if (contents.crlNumber < 0n) throw new RangeError('the CRL number is not negative');
  const crlNumberHex = contents.crlNumber.toString(16);
  const extensions = [
    authorityKeyIdentifier(contents.authorityKeyId),
    { oid: CRL_OID.cRLNumber, critical: false, value: unsignedInteger(Buffer.from(crlNumberHex.length % 2 ? `0${crlNumberHex}` : crlNumberHex, 'hex')) },
  ];
  const head = Buffer.concat([
    encodeDer(smallInteger(1)),
    encodeDer(signatureAlgorithm),
    contents.issuerDer,
    encodeDer(time(contents.thisUpdate)),
    encodeDer(time(contents.nextUpdate)),
  ]);
  // revokedCertificates is absent, not empty, when nothing is revoked (RFC 5280 5.1.2.6).
  const revoked = contents.entries.length > 0 ? tlv(0x30, Buffer.concat(contents.entries.map(entryBytes))) : Buffer.alloc(0);
  const tail = encodeDer(explicit(0, sequence(...extensions.map(extensionNode))));
  return tlv(0x30, Buffer.concat([head, revoked, tail]));
}

/** The CertificateList DER: the TBSCertList, the algorithm and the signature (one signer.sign call). */
export async function signCrl(contents: CrlContents, signer: Signer): Promise<Buffer> {
  const tbs = tbsCertList(contents, signer.algorithmIdentifier);
  const signature = await signer.sign(tbs);
  const bitString = tlv(0x03, Buffer.concat([Buffer.from([0]), signature]));
  return tlv(0x30, Buffer.concat([tbs, encodeDer(signer.algorithmIdentifier), bitString]));
}

/**
 * Whether the CRL's signature verifies with the CA certificate's key (sha256WithRSAEncryption): checked before a CRL
 * is published, so a signer that signed the wrong bytes (or with the wrong key) never replaces a good CRL.
 */
export function crlSignatureVerifies(crlDer: Buffer, caCertificatePem: string): boolean {
  const [tbsEnd, signature] = splitCertificateList(crlDer);
  const verifier = createVerify('sha256');
  verifier.update(crlDer.subarray(tbsEnd.start, tbsEnd.end));
  return verifier.verify(new X509Certificate(caCertificatePem).publicKey, signature);
}

/** Header length and content length of the DER element at `offset`. */
function readHeader(der: Buffer, offset: number): { contentStart: number; end: number } {
  const first = der[offset + 1]!;
  if (first < 0x80) return { contentStart: offset + 2, end: offset + 2 + first };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i]!;
  return { contentStart: offset + 2 + count, end: offset + 2 + count + length };
}

function splitCertificateList(der: Buffer): [{ start: number; end: number }, Buffer] {
  const outer = readHeader(der, 0);
  const tbs = { start: outer.contentStart, end: readHeader(der, outer.contentStart).end };
  const algorithmEnd = readHeader(der, tbs.end).end;
  const bits = readHeader(der, algorithmEnd);
  return [tbs, der.subarray(bits.contentStart + 1, bits.end)];
}
