// Which public keys a PRIVATE_KEY_JWT client may register (JWK or PEM), the algorithms each allows, and the words of each refusal.
import { generateKeyPairSync } from 'node:crypto';
import { parseClientPublicKey, PublicKeyRefusedError, storedClientPublicKey } from '../../../shared/oauth/client-public-keys';

const rsa = (modulusLength: number, publicExponent = 65537) => generateKeyPairSync('rsa', { modulusLength, publicExponent });
const spki = (pair: { publicKey: import('node:crypto').KeyObject }) => pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const jwkOf = (pair: { publicKey: import('node:crypto').KeyObject }) => pair.publicKey.export({ format: 'jwk' });

const refusal = async (input: unknown): Promise<string> => {
  try {
    await parseClientPublicKey(input);
  } catch (error) {
    expect(error).toBeInstanceOf(PublicKeyRefusedError);
    return (error as Error).message;
  }
  throw new Error('the key was accepted');
};

describe('parseClientPublicKey', () => {
  const rsa2048 = rsa(2048);

  it('accepts an RSA-2048 SPKI PEM and a PKCS#1 PEM of it as the same key, with the RSA algorithms only', async () => {
    const fromSpki = await parseClientPublicKey(spki(rsa2048));
    const fromPkcs1 = await parseClientPublicKey(rsa2048.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    expect(fromSpki).toEqual(fromPkcs1);
    expect(fromSpki.description).toBe('RSA 2048');
    expect(fromSpki.algorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
    expect(Object.keys(fromSpki.jwk).sort()).toEqual(['e', 'kty', 'n']);
    expect(fromSpki.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts EC P-256 and P-384 and Ed25519 keys as JWK objects and JWK JSON text, keeping only public members', async () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const withExtras = { ...jwkOf(p256), kid: 'mine', use: 'sig', alg: 'ES256' };
    const key = await parseClientPublicKey(withExtras);
    expect(key).toMatchObject({ description: 'EC P-256', algorithms: ['ES256'] });
    expect(Object.keys(key.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(await parseClientPublicKey(JSON.stringify(withExtras))).toEqual(key);
    expect(await parseClientPublicKey(spki(p256))).toEqual(key);
    await expect(parseClientPublicKey(jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-384' })))).resolves.toMatchObject({ algorithms: ['ES384'] });
    await expect(parseClientPublicKey(spki(generateKeyPairSync('ed25519')))).resolves.toMatchObject({ description: 'Ed25519', algorithms: ['EdDSA', 'Ed25519'] });
  });

  it('gives a stored key back with the same algorithms', async () => {
    const key = await parseClientPublicKey(spki(rsa2048));
    expect(storedClientPublicKey(key.kid, JSON.stringify(key.jwk))).toEqual(key);
  });

  it.each([
    ['an RSA key under 2048 bits', () => spki(rsa(1024)), 'the RSA key has 1024 bits: at least 2048 are required'],
    ['an RSA key with e = 3', () => spki(rsa(2048, 3)), "the RSA key's public exponent is 3: it must be 65537"],
    ['a P-521 key', () => spki(generateKeyPairSync('ec', { namedCurve: 'P-521' })), "the EC key's curve secp521r1 is not accepted: use P-256 or P-384"],
    ['a secp256k1 key', () => spki(generateKeyPairSync('ec', { namedCurve: 'secp256k1' })), "the EC key's curve secp256k1 is not accepted"],
    ['an Ed448 key', () => spki(generateKeyPairSync('ed448')), 'a ed448 key is not accepted'],
    ['a private key PEM', () => rsa2048.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'this is a private key: give only the public key'],
    ['a private JWK', () => rsa2048.privateKey.export({ format: 'jwk' }), 'the JWK holds private key members'],
    ['a symmetric JWK', () => ({ kty: 'oct', k: 'c2VjcmV0' }), 'the JWK is a symmetric key (kty "oct")'],
    ['a JWK for encryption', () => ({ ...jwkOf(rsa2048), use: 'enc' }), 'the JWK\'s "use" is "enc"'],
    ['a JWK whose alg does not fit it', () => ({ ...jwkOf(rsa2048), alg: 'HS256' }), 'the JWK\'s "alg" "HS256" does not fit a RSA 2048 key'],
    ['a certificate', () => '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', 'PEM "CERTIFICATE" is not a public key'],
    ['broken PEM', () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', 'the PEM "PUBLIC KEY" could not be read as a public key'],
    ['broken JSON', () => '{"kty": ', 'is not valid JSON'],
    ['text that is neither', () => 'ssh-ed25519 AAAAC3Nz', 'neither a JWK (JSON) nor PEM'],
    ['an invalid EC JWK', () => ({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }), 'the JWK (kty "EC") is not a valid public key'],
    ['an empty string', () => '  ', 'the public key is empty'],
    ['a number', () => 42, 'the public key must be a JWK'],
  ])('refuses %s, saying what is wrong', async (_name, input, message) => {
    expect(await refusal(input())).toContain(message);
  });
});

test('the key id is the RFC 7638 thumbprint, as jose computes it', async () => {
  const { calculateJwkThumbprint } = await import('jose');
  for (const pair of [generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('ec', { namedCurve: 'P-384' }), generateKeyPairSync('ed25519')]) {
    const key = await parseClientPublicKey(pair.publicKey.export({ format: 'jwk' }));
    expect(key.kid).toBe(await calculateJwkThumbprint(key.jwk, 'sha256'));
  }
});
