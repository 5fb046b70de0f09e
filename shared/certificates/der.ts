// Strict DER on top of node-forge's ASN.1 codec: parsing untrusted bytes, and building the structures the CA signs.
// Only the codec is imported (node-forge-asn1.d.ts): the whole library is most of a bundle (docs/design.md "Bundling").
import type forge from 'node-forge';
import asn1 from 'node-forge/lib/asn1';

export type Asn1 = forge.asn1.Asn1;
export const { Class, Type } = asn1;

interface FromDerOptions {
  strict: boolean;
  parseAllBytes: boolean;
  decodeBitStrings: boolean;
  maxDepth: number;
}
// @types/node-forge only declares the boolean form; forge 1.3+ takes this options object.
const fromDer = asn1.fromDer as unknown as (bytes: string, options: FromDerOptions) => Asn1;

/** Nesting deeper than any certificate or CSR needs is refused before it can cost anything. */
const MAX_DEPTH = 32;

/**
 * Parses DER and insists that it re-encodes to the very same bytes, so a signature checked over a
 * re-encoded part covers exactly what the signer signed (BER, non-minimal lengths and integers are refused).
 * Throws a plain Error on anything malformed.
 */
export function decodeDer(der: Buffer): Asn1 {
  const binary = der.toString('latin1');
  // decodeBitStrings: false keeps BIT STRINGs (signatures, keys) as opaque bytes instead of guessing at nested ASN.1.
  const node = fromDer(binary, { strict: true, parseAllBytes: true, decodeBitStrings: false, maxDepth: MAX_DEPTH });
  if (asn1.toDer(node).getBytes() !== binary) throw new Error('not DER-encoded');
  return node;
}

export function encodeDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'latin1');
}

/** The bytes of a primitive node (forge keeps them as a binary string). */
export function primitiveBytes(node: Asn1): Buffer {
  if (typeof node.value !== 'string') throw new Error('expected a primitive value');
  return Buffer.from(node.value, 'latin1');
}

export function children(node: Asn1): Asn1[] {
  if (!Array.isArray(node.value)) throw new Error('expected a constructed value');
  return node.value;
}

export function isUniversal(node: Asn1 | undefined, type: forge.asn1.Type): node is Asn1 {
  return node !== undefined && node.tagClass === Class.UNIVERSAL && node.type === type;
}

export function isContext(node: Asn1 | undefined, tag: number): node is Asn1 {
  return node !== undefined && node.tagClass === Class.CONTEXT_SPECIFIC && node.type === tag;
}

export function oidOf(node: Asn1): string {
  if (!isUniversal(node, Type.OID) || typeof node.value !== 'string') throw new Error('expected an OBJECT IDENTIFIER');
  return asn1.derToOid(node.value);
}

const create = (type: forge.asn1.Type, constructed: boolean, value: string | Asn1[]) =>
  asn1.create(Class.UNIVERSAL, type, constructed, value);

export const sequence = (...items: Asn1[]): Asn1 => create(Type.SEQUENCE, true, items);
export const set = (...items: Asn1[]): Asn1 => create(Type.SET, true, items);
export const oid = (dotted: string): Asn1 => create(Type.OID, false, asn1.oidToDer(dotted).getBytes());
export const nullValue = (): Asn1 => create(Type.NULL, false, '');
export const boolean = (value: boolean): Asn1 => create(Type.BOOLEAN, false, value ? '\xff' : '\x00');
export const octetString = (bytes: Buffer): Asn1 => create(Type.OCTETSTRING, false, bytes.toString('latin1'));
export const utf8String = (text: string): Asn1 => create(Type.UTF8, false, Buffer.from(text, 'utf8').toString('latin1'));
export const printableString = (text: string): Asn1 => create(Type.PRINTABLESTRING, false, text);

/** A non-negative INTEGER from big-endian magnitude bytes (a 00 byte is prepended when the top bit is set). */
export function unsignedInteger(bytes: Buffer): Asn1 {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const magnitude = bytes.subarray(start);
  const content = magnitude[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude;
  return create(Type.INTEGER, false, content.toString('latin1'));
}

export const smallInteger = (value: number): Asn1 => create(Type.INTEGER, false, asn1.integerToDer(value).getBytes());

/** A BIT STRING of whole bytes. */
export const bitString = (bytes: Buffer): Asn1 => create(Type.BITSTRING, false, `\x00${bytes.toString('latin1')}`);

/** A BIT STRING of named bits (bit 0 = the most significant bit of the first byte), DER-trimmed. */
export function namedBits(bits: number[]): Asn1 {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return create(Type.BITSTRING, false, String.fromCharCode(unused) + bytes.toString('latin1'));
}

export const explicit = (tag: number, inner: Asn1): Asn1 => asn1.create(Class.CONTEXT_SPECIFIC, tag, true, [inner]);
export const implicitPrimitive = (tag: number, bytes: Buffer): Asn1 =>
  asn1.create(Class.CONTEXT_SPECIFIC, tag, false, bytes.toString('latin1'));

/** X.509 Time: UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). Whole seconds. */
export function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? create(Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : create(Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

export function timeToDate(node: Asn1): Date {
  const { value } = node;
  if (typeof value !== 'string') throw new Error('expected a time');
  if (isUniversal(node, Type.UTCTIME)) return asn1.utcTimeToDate(value);
  if (isUniversal(node, Type.GENERALIZEDTIME)) return asn1.generalizedTimeToDate(value);
  throw new Error('expected UTCTime or GeneralizedTime');
}

/** PEM text of DER bytes, 64 base64 characters a line (RFC 7468). */
export function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
