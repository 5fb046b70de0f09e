// DER (what KMS answers Sign with) to JOSE r || s (what ES256 puts in a JWS) and back, against Node's own encodings.
import { createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { derToJoseSignature, joseToDerSignature } from '../../../shared/oauth/ecdsa-signature';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((array) => Buffer.from(array));
/** r or s as KMS may produce them: high bit set (DER adds 00), leading zero bytes (DER drops them), or plain. */
const scalar = fc.oneof(
  bytes32,
  bytes32.map((b) => Buffer.concat([Buffer.of(0x80 | b[0]!), b.subarray(1)])),
  fc.tuple(fc.integer({ min: 1, max: 31 }), bytes32).map(([zeros, b]) => Buffer.concat([Buffer.alloc(zeros), b.subarray(zeros)])),
);

describe('derToJoseSignature', () => {
  test('is the inverse of the DER encoding, for any r and s (leading zeros, high bits)', () => {
    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        const jose = Buffer.concat([r, s]);
        const der = joseToDerSignature(jose);
        expect(derToJoseSignature(der)).toEqual(jose);
        expect(joseToDerSignature(derToJoseSignature(der))).toEqual(der);
      }),
      { numRuns: 500 },
    );
  });

  test('turns Node\'s DER ECDSA signatures into exactly its IEEE P1363 (r || s) ones, which verify', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    for (let i = 0; i < 300; i += 1) {
      const message = Buffer.from(`message ${i}`);
      const der = sign('sha256', message, { key, dsaEncoding: 'der' });
      const jose = derToJoseSignature(der);
      expect(jose).toHaveLength(64);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      expect(joseToDerSignature(jose)).toEqual(der);
      // And the other way: Node's r || s, DER-encoded here, verifies as DER.
      const p1363 = sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, joseToDerSignature(p1363))).toBe(true);
    }
  });

  test('pads short integers and drops the sign byte of high-bit ones', () => {
    // r = 01 (one byte), s = 00 ff..ff (32 bytes with the high bit, DER-prefixed by 00).
    const der = hex(`30 26 02 01 01 02 21 00 ${'ff'.repeat(32)}`);
    expect(derToJoseSignature(der)).toEqual(Buffer.concat([Buffer.alloc(31), Buffer.of(1), Buffer.alloc(32, 0xff)]));
    expect(joseToDerSignature(derToJoseSignature(der))).toEqual(der);
  });

  test('refuses what is not one SEQUENCE of two minimal positive INTEGERs that fit 32 bytes', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['empty', '', /expected a SEQUENCE/],
      ['not a SEQUENCE', '31 06 02 01 01 02 01 01', /expected a SEQUENCE/],
      ['length mismatch', '30 07 02 01 01 02 01 01', /SEQUENCE length/],
      ['trailing bytes', '30 06 02 01 01 02 01 01 00', /SEQUENCE length/],
      ['not an INTEGER', '30 06 04 01 01 02 01 01', /expected an INTEGER/],
      ['empty INTEGER', '30 05 02 00 02 01 01', /empty or truncated/],
      ['negative', '30 06 02 01 81 02 01 01', /negative/],
      ['non-minimal', '30 07 02 02 00 01 02 01 01', /not minimally encoded/],
      ['too long', `30 27 02 22 01 ${'00'.repeat(33)} 02 01 01`, /longer than 32 bytes/],
      ['bytes after s', '30 09 02 01 01 02 01 01 02 01 01', /bytes after s/],
      ['long-form length of 0x80 bytes', '30 82 00 06 02 01 01 02 01 01', /unsupported length/],
    ];
    for (const [name, der, message] of cases) {
      expect({ name, error: (() => { try { derToJoseSignature(hex(der)); return undefined; } catch (error) { return (error as Error).message; } })() })
        .toEqual({ name, error: expect.stringMatching(message) });
    }
  });
});
