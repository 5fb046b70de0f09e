// validateCsr on hostile input: random bytes, strings and mutations of a valid CSR are refused with BadUserInputError only, quickly.
import fc from 'fast-check';
import { BadUserInputError } from '../../../shared/errors';
import { MAX_CSR_INPUT_LENGTH, validateCsr } from '../../../shared/certificates/csr';
import {
  base64Pem,
  ECDSA_WITH_SHA256,
  ecKeyPair,
  expectedSubject,
  goodCsrDer,
  rawRsaCsrDer,
  rsaKeyOfPrimes,
  rsaKeyPair,
  rsaPrime,
  toPem,
} from './csr-builder';

const SUBJECT = expectedSubject('fuzz-system-auth');

/** Runs validateCsr and reports how it ended; any other throwable fails the property. */
function outcome(input: string): 'accepted' | 'refused' {
  try {
    validateCsr(input, SUBJECT);
    return 'accepted';
  } catch (error) {
    if (error instanceof BadUserInputError && error.message.startsWith('Invalid CSR: ')) return 'refused';
    throw error;
  }
}

const pemOf = (bytes: Uint8Array) => toPem(Buffer.from(bytes));
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('validateCsr never fails with anything but BadUserInputError', () => {
  test('random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000, unit: 'binary' }), (input) => outcome(input) === 'refused'), { numRuns: 500 });
  });

  test('random bytes as base64', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => outcome(Buffer.from(bytes).toString('base64')) === 'refused'), { numRuns: 500 });
  });

  test('random bytes inside PEM armour, plain and as base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => outcome(pemOf(bytes)) === 'refused' && outcome(b64(pemOf(bytes))) === 'refused'),
      { numRuns: 500 },
    );
  });

  test('random ASN.1-looking bytes (SEQUENCE headers) inside PEM armour', () => {
    const derish = fc
      .array(fc.oneof(fc.constantFrom(0x30, 0x31, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x1e, 0xa0, 0x80, 0x81, 0x82, 0xff, 0x00), fc.integer({ min: 0, max: 255 })), { maxLength: 800 })
      .map((bytes) => Uint8Array.from([0x30, 0x82, 0x01, 0x00, ...bytes]));
    fc.assert(fc.property(derish, (bytes) => outcome(pemOf(bytes)) === 'refused'), { numRuns: 1000 });
  });

  test('input just over the size bound is refused by size', () => {
    expect(() => validateCsr(' '.repeat(MAX_CSR_INPUT_LENGTH) + 'x', SUBJECT)).toThrow(/longer than/);
  });

  test('deeply nested DER is refused, not a stack overflow', () => {
    let node = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < 3000; i++) {
      const length = node.length < 128 ? Buffer.from([node.length]) : Buffer.from([0x82, node.length >> 8, node.length & 0xff]);
      node = Buffer.concat([Buffer.from([0x30]), length, node]);
      if (node.length > 10_000) break;
    }
    expect(outcome(base64Pem(node))).toBe('refused');
  });
});

describe('any change to a valid CSR is refused', () => {
  const rsaDer = goodCsrDer(rsaKeyPair(2048), 'fuzz-system-auth');
  const ecDer = goodCsrDer(ecKeyPair('prime256v1'), 'fuzz-system-auth', ECDSA_WITH_SHA256);

  test('the unchanged CSRs are accepted (the properties below start from valid input)', () => {
    expect(outcome(base64Pem(rsaDer))).toBe('accepted');
    expect(outcome(base64Pem(ecDer))).toBe('accepted');
  });

  test.each([
    ['RSA', rsaDer],
    ['EC', ecDer],
  ])('%s: one byte flipped', (_, der) => {
    fc.assert(
      fc.property(fc.nat({ max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const mutated = Buffer.from(der);
        mutated[at]! ^= mask;
        return outcome(base64Pem(mutated)) === 'refused';
      }),
      { numRuns: 400 },
    );
  });

  test.each([
    ['RSA', rsaDer],
    ['EC', ecDer],
  ])('%s: truncated or extended', (_, der) => {
    fc.assert(
      fc.property(fc.nat({ max: der.length - 1 }), fc.uint8Array({ maxLength: 8 }), (cut, tail) => {
        return outcome(base64Pem(der.subarray(0, cut))) === 'refused' && (tail.length === 0 || outcome(base64Pem(Buffer.concat([der, tail]))) === 'refused');
      }),
      { numRuns: 300 },
    );
  });
});

describe('weak RSA keys are refused by the key strength rule, whatever the signature', () => {
  // The signatures below are junk (d = 1): the key rule must decide before the signature is looked at.
  const { n: soundModulus } = rsaKeyOfPrimes([rsaPrime(1024), rsaPrime(1024)]);
  const message = (n: bigint, e: bigint) => {
    try {
      validateCsr(base64Pem(rawRsaCsrDer({ n, e, d: 1n }, 'fuzz-system-auth')), SUBJECT);
    } catch (error) {
      if (error instanceof BadUserInputError) return error.message;
      throw error;
    }
    throw new Error('validateCsr accepted the CSR');
  };

  test('any public exponent but 65537 is refused naming it (long ones by their size)', () => {
    const exponents = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 2n ** 64n, max: 2n ** 4096n }));
    fc.assert(
      fc.property(exponents.filter((e) => e !== 65537n), (e) => {
        const shown = e < 2n ** 64n ? `${e}` : `a ${e.toString(2).length}-bit number`;
        return message(soundModulus, e) === `Invalid CSR: the RSA public exponent must be 65537, got ${shown}`;
      }),
      { numRuns: 200 },
    );
  });

  const smallPrimes: bigint[] = [];
  for (let candidate = 2n; candidate < 752n; candidate++) if (smallPrimes.every((prime) => candidate % prime !== 0n)) smallPrimes.push(candidate);

  test('any modulus with a prime factor below 752 is refused, naming a small prime factor of it', () => {
    expect([smallPrimes.length, smallPrimes.at(-1)]).toEqual([133, 751n]);
    const cofactors = fc.bigInt({ min: 2n ** 2046n, max: 2n ** 2047n - 1n }).map((c) => c | 1n);
    fc.assert(
      fc.property(fc.constantFrom(...smallPrimes), cofactors, (prime, cofactor) => {
        const modulus = prime * cofactor;
        const refusal = message(modulus, 65537n);
        if (prime === 2n) return refusal === 'Invalid CSR: the RSA modulus must be odd, it is even';
        const named = /^Invalid CSR: the RSA modulus must have no prime factor below 752, it is divisible by (\d+)$/.exec(refusal)?.[1];
        return named !== undefined && BigInt(named) <= prime && modulus % BigInt(named) === 0n;
      }),
      { numRuns: 300 },
    );
  });
});
