// RSA key strength of a CSR's key (CA/Browser Forum Baseline Requirements 6.1.6): exponent 65537, an odd modulus
// without small prime factors.
import type { KeyObject } from 'node:crypto';

// Every key generator uses 65537 by default. A smaller exponent invites low-exponent attacks, and with e = 1 the
// "signature" is the encoded digest itself: the proof of possession would prove nothing.
const RSA_PUBLIC_EXPONENT = 65537n;
/** Baseline Requirements 6.1.6: the modulus has no factors smaller than 752. */
const SMALL_FACTOR_BOUND = 752;

/** The odd primes below SMALL_FACTOR_BOUND (sieve of Eratosthenes); 2 is the "must be odd" rule. */
const SMALL_ODD_PRIMES: readonly bigint[] = (() => {
  const composite = new Uint8Array(SMALL_FACTOR_BOUND);
  const primes: bigint[] = [];
  for (let candidate = 3; candidate < SMALL_FACTOR_BOUND; candidate += 2) {
    if (composite[candidate]) continue;
    primes.push(BigInt(candidate));
    for (let multiple = candidate * candidate; multiple < SMALL_FACTOR_BOUND; multiple += 2 * candidate) composite[multiple] = 1;
  }
  return primes;
})();

/** A number from the CSR for a message: an exponent can be thousands of bits long. */
const numberInMessage = (value: bigint) => (value < 2n ** 64n ? value.toString() : `a ${value.toString(2).length}-bit number`);

/**
 * What makes an RSA key weak, in words for the client; undefined for a strong one. Checked before the signature: for
 * e = 1, or a modulus with a small factor (the private key follows from it), anyone can make that signature, so its
 * check proves nothing. Not checked: that the modulus is not a prime or a prime power (BR 6.1.6 says "should"): a
 * primality test alone (crypto.checkPrime) costs several times a whole issuance per CSR.
 */
export function rsaKeyWeakness(key: KeyObject): string | undefined {
  const exponent = key.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (exponent !== RSA_PUBLIC_EXPONENT) return `the RSA public exponent must be 65537, got ${numberInMessage(exponent)}`;
  const modulus = BigInt(`0x${Buffer.from(key.export({ format: 'jwk' }).n ?? '', 'base64url').toString('hex') || '0'}`);
  if (modulus % 2n === 0n) return 'the RSA modulus must be odd, it is even';
  const factor = SMALL_ODD_PRIMES.find((prime) => modulus % prime === 0n);
  if (factor !== undefined) return `the RSA modulus must have no prime factor below ${SMALL_FACTOR_BOUND}, it is divisible by ${factor}`;
  return undefined;
}
