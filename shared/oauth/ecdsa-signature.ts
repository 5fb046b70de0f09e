// ECDSA signatures in the two encodings that meet here: KMS answers Sign with a DER ECDSA-Sig-Value
// (SEQUENCE { INTEGER r, INTEGER s }, RFC 3279), JWS (RFC 7518 3.4) wants r and s as fixed-size
// big-endian octets, concatenated (64 bytes for ES256).

/** Reads one DER length at `offset`; returns it and where the content starts. Only definite, minimal lengths. */
function readLength(der: Buffer, offset: number): { length: number; start: number } {
  const first = der[offset];
  if (first === undefined) throw new Error('ECDSA signature DER is truncated');
  if (first < 0x80) return { length: first, start: offset + 1 };
  const count = first & 0x7f;
  // An ECDSA-Sig-Value of a 521-bit curve is at most 139 bytes: one length byte after 0x81 is plenty.
  if (count !== 1) throw new Error('ECDSA signature DER has an unsupported length encoding');
  const length = der[offset + 1];
  if (length === undefined || length < 0x80) throw new Error('ECDSA signature DER has a non-minimal length');
  return { length, start: offset + 2 };
}

/** Reads one positive INTEGER at `offset` as `size` big-endian bytes; returns them and the offset after it. */
function readInteger(der: Buffer, offset: number, size: number): { value: Buffer; next: number } {
  if (der[offset] !== 0x02) throw new Error('ECDSA signature DER: expected an INTEGER');
  const { length, start } = readLength(der, offset + 1);
  const end = start + length;
  if (length === 0 || end > der.length) throw new Error('ECDSA signature DER: INTEGER is empty or truncated');
  let bytes = der.subarray(start, end);
  if (bytes[0]! & 0x80) throw new Error('ECDSA signature DER: INTEGER is negative');
  // A leading 00 only keeps the high bit of the next byte from reading as a sign; anything else is non-minimal.
  if (bytes.length > 1 && bytes[0] === 0x00) {
    if (!(bytes[1]! & 0x80)) throw new Error('ECDSA signature DER: INTEGER is not minimally encoded');
    bytes = bytes.subarray(1);
  }
  if (bytes.length > size) throw new Error(`ECDSA signature DER: INTEGER is longer than ${size} bytes`);
  const value = Buffer.alloc(size);
  bytes.copy(value, size - bytes.length);
  return { value, next: end };
}

/**
 * The JOSE form (r || s, each left-padded to `size` bytes: 32 for P-256) of a DER ECDSA signature.
 * Throws on anything that is not exactly one SEQUENCE of two positive INTEGERs that fit.
 */
export function derToJoseSignature(der: Buffer, size = 32): Buffer {
  if (der[0] !== 0x30) throw new Error('ECDSA signature DER: expected a SEQUENCE');
  const { length, start } = readLength(der, 1);
  if (start + length !== der.length) throw new Error('ECDSA signature DER: SEQUENCE length does not match the signature');
  const r = readInteger(der, start, size);
  const s = readInteger(der, r.next, size);
  if (s.next !== der.length) throw new Error('ECDSA signature DER: bytes after s');
  return Buffer.concat([r.value, s.value]);
}

/** DER-encodes one unsigned big-endian integer (minimal: no leading zeros, 00 before a high bit). */
function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  let body = bytes.subarray(start);
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.of(0), body]);
  return Buffer.concat([Buffer.of(0x02, body.length), body]);
}

/** The DER form of a JOSE ECDSA signature (r || s): the inverse of derToJoseSignature. */
export function joseToDerSignature(jose: Buffer): Buffer {
  if (jose.length === 0 || jose.length % 2 !== 0) throw new Error('JOSE ECDSA signature must be r || s of equal sizes');
  const size = jose.length / 2;
  const body = Buffer.concat([derInteger(jose.subarray(0, size)), derInteger(jose.subarray(size))]);
  const length = body.length < 0x80 ? Buffer.of(body.length) : Buffer.of(0x81, body.length);
  return Buffer.concat([Buffer.of(0x30), length, body]);
}
