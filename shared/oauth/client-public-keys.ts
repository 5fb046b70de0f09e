// The public keys PRIVATE_KEY_JWT clients sign their assertions with: what is accepted (JWK or PEM), the checks, and the algorithms each key allows.
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/** Longest pasted key accepted (an RSA-8192 SPKI in PEM is under 1,500 characters; a JWK of it under 1,600). */
export const MAX_PUBLIC_KEY_LENGTH = 8192;

/** Largest RSA modulus accepted: larger keys only cost verification time. */
const MAX_RSA_BITS = 8192;
const MIN_RSA_BITS = 2048;

/** JWS algorithms per kind of key (RFC 7518, RFC 8037); never `none`, never HMAC: the key is public. */
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const CURVE_ALGORITHMS: Record<string, readonly string[]> = { 'P-256': ['ES256'], 'P-384': ['ES384'], Ed25519: ['EdDSA', 'Ed25519'] };

/** Every algorithm an assertion may be signed with, for the RFC 8414 metadata. */
export const CLIENT_ASSERTION_ALGORITHMS: readonly string[] = [...RSA_ALGORITHMS, 'ES256', 'ES384', 'EdDSA', 'Ed25519'];

/** A public key accepted for a client: its public JWK, its id (RFC 7638 thumbprint) and what it may sign with. */
export interface ClientPublicKey {
  kid: string;
  jwk: JWK;
  algorithms: readonly string[];
  /** For people: "RSA 2048", "EC P-256", "Ed25519". */
  description: string;
}

/** A pasted key that is refused: the message names what is wrong (it never quotes the key). */
export class PublicKeyRefusedError extends Error {
  override readonly name: string = 'PublicKeyRefusedError';
}

const refuse = (message: string): never => {
  throw new PublicKeyRefusedError(message);
};

/**
 * Reads a public key given as a JWK (an object or its JSON text) or as PEM (SPKI "BEGIN PUBLIC KEY", or PKCS#1 "BEGIN
 * RSA PUBLIC KEY"), and checks it: RSA of 2048 to 8192 bits with e = 65537, EC P-256 or P-384, or Ed25519. A private
 * key (PEM or a JWK with private members) is refused rather than reduced to its public half: it must never have left
 * the application, and whoever pasted it should know.
 */
export async function parseClientPublicKey(input: unknown): Promise<ClientPublicKey> {
  let key: KeyObject;
  let declaredAlg: string | undefined;
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.length === 0) refuse('the public key is empty');
    if (text.length > MAX_PUBLIC_KEY_LENGTH) refuse(`the public key is longer than ${MAX_PUBLIC_KEY_LENGTH} characters`);
    if (text.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return refuse('the public key starts with "{" but is not valid JSON (a JWK is expected)');
      }
      return parseClientPublicKey(parsed);
    }
    const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
    if (label === undefined) return refuse('the public key is neither a JWK (JSON) nor PEM ("-----BEGIN PUBLIC KEY-----")');
    if (label.includes('PRIVATE KEY')) refuse('this is a private key: give only the public key (the private key must not leave the application)');
    if (label !== 'PUBLIC KEY' && label !== 'RSA PUBLIC KEY') refuse(`PEM "${label}" is not a public key: use "BEGIN PUBLIC KEY" (SPKI)`);
    try {
      key = createPublicKey({ key: text, format: 'pem' });
    } catch {
      return refuse(`the PEM "${label}" could not be read as a public key`);
    }
  } else if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const jwk = input as Record<string, unknown>;
    if (typeof jwk.kty !== 'string') refuse('the JWK has no "kty"');
    if (jwk.kty === 'oct') refuse('the JWK is a symmetric key (kty "oct"): a public key is needed (RSA, EC or OKP)');
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((member) => member in jwk)) {
      refuse('the JWK holds private key members: give only the public key (the private key must not leave the application)');
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') refuse(`the JWK's "use" is ${JSON.stringify(jwk.use)}: a signing key has "use": "sig" or none`);
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) refuse('the JWK\'s "key_ops" do not include "verify"');
    if (jwk.alg !== undefined) {
      if (typeof jwk.alg !== 'string') refuse('the JWK\'s "alg" is not a string');
      declaredAlg = jwk.alg as string;
    }
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      return refuse(`the JWK (kty ${JSON.stringify(jwk.kty)}) is not a valid public key`);
    }
  } else {
    return refuse('the public key must be a JWK (object or JSON text) or PEM text');
  }
  const { algorithms, description } = algorithmsOf(key);
  if (declaredAlg !== undefined && !algorithms.includes(declaredAlg)) {
    refuse(`the JWK's "alg" ${JSON.stringify(declaredAlg)} does not fit a ${description} key (allowed: ${algorithms.join(', ')})`);
  }
  const jwk = publicMembers(key.export({ format: 'jwk' }) as JWK);
  return { kid: thumbprint(jwk), jwk, algorithms, description };
}

/** The kinds of key accepted, with the algorithms each may sign with. */
function algorithmsOf(key: KeyObject): { algorithms: readonly string[]; description: string } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) refuse(`the RSA key has ${bits} bits: at least ${MIN_RSA_BITS} are required`);
      if (bits > MAX_RSA_BITS) refuse(`the RSA key has ${bits} bits: at most ${MAX_RSA_BITS} are accepted`);
      if (details.publicExponent !== 65537n) refuse(`the RSA key's public exponent is ${String(details.publicExponent)}: it must be 65537`);
      return { algorithms: RSA_ALGORITHMS, description: `RSA ${bits}` };
    }
    case 'ec': {
      const curve = { prime256v1: 'P-256', secp384r1: 'P-384' }[details.namedCurve ?? ''];
      if (curve === undefined) return refuse(`the EC key's curve ${details.namedCurve ?? '(unknown)'} is not accepted: use P-256 or P-384`);
      return { algorithms: CURVE_ALGORITHMS[curve], description: `EC ${curve}` };
    }
    case 'ed25519':
      return { algorithms: CURVE_ALGORITHMS.Ed25519, description: 'Ed25519' };
    default:
      return refuse(`a ${key.asymmetricKeyType ?? 'symmetric'} key is not accepted: use RSA (2048 bits or more, e = 65537), EC P-256, EC P-384 or Ed25519`);
  }
}

/** kty and the public members of its kind, nothing else (no kid, alg, use or x5c of the input is stored). */
function publicMembers(jwk: JWK): JWK {
  switch (jwk.kty) {
    case 'RSA':
      return { kty: 'RSA', n: jwk.n, e: jwk.e };
    case 'EC':
      return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
    default:
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  }
}

/**
 * RFC 7638 JWK thumbprint (SHA-256): the required members in lexicographic order, no whitespace. Written here rather
 * than jose's calculateJwkThumbprint, which would add its digest plumbing to the Director's bundle for one hash.
 */
function thumbprint(jwk: JWK): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** A stored key again (it was checked when stored). */
export function storedClientPublicKey(kid: string, jwkText: string): ClientPublicKey {
  const jwk = JSON.parse(jwkText) as JWK;
  return { kid, jwk, ...algorithmsOf(createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })) };
}
