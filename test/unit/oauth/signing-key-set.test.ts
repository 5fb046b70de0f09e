// The token-signing key set's JSON: what parseKeySet accepts, and the message naming what is wrong otherwise.
import { parseKeySet } from '../../../shared/oauth/signing-keys';

/** The secret's full name, as the message names it. */
const SECRET = 'pairing-service/test/token-signing-public-keys';
const publicJwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };
const key = (extra: Record<string, unknown> = {}) => ({ kid: 'k1', alg: 'ES256', keyArn: 'arn:aws:kms:eu-central-1:1:key/a', publicJwk, createdAt: '2026-11-29T07:00:00.000Z', ...extra });

describe('parseKeySet', () => {
  test('accepts a KMS key set, and the public set written before KMS (no activeKid, no keyArn)', () => {
    const set = { activeKid: 'k1', keys: [key({ kid: 'k0', keyArn: undefined, retiredAt: '2026-11-29T07:00:00.000Z' }), key()] };
    expect(parseKeySet(JSON.stringify(set), SECRET)).toEqual(JSON.parse(JSON.stringify(set)));
    expect(parseKeySet(JSON.stringify({ keys: [{ kid: 'k0', alg: 'ES256', publicJwk }] }), SECRET)).toEqual({ keys: [{ kid: 'k0', alg: 'ES256', publicJwk }] });
  });

  test.each([
    ['not JSON', '{', /is not JSON$/],
    ['no keys', '{"activeKid":"k1"}', /does not hold \{activeKid, keys/],
    ['another algorithm', JSON.stringify({ keys: [key({ alg: 'RS256' })] }), /does not hold \{activeKid, keys/],
    ['a private JWK member', JSON.stringify({ keys: [key({ publicJwk: { ...publicJwk, d: 'secret' } })] }), /does not hold \{activeKid, keys/],
    ['a retiredAt that is no date', JSON.stringify({ keys: [key({ retiredAt: 'soon' })] }), /does not hold \{activeKid, keys/],
    ['an active kid not among the keys', JSON.stringify({ activeKid: 'k9', keys: [key()] }), /the active key k9 is missing, has no KMS key or is retired/],
    ['an active key without KMS key', JSON.stringify({ activeKid: 'k1', keys: [key({ keyArn: undefined })] }), /the active key k1 is missing, has no KMS key or is retired/],
    ['a retired active key', JSON.stringify({ activeKid: 'k1', keys: [key({ retiredAt: '2026-11-29T07:00:00.000Z' })] }), /the active key k1 is missing, has no KMS key or is retired/],
  ])('refuses %s, naming the secret', (_, raw, message) => {
    expect(() => parseKeySet(raw, SECRET)).toThrow(message);
    expect(() => parseKeySet(raw, SECRET)).toThrow(/secret pairing-service\/test\/token-signing-public-keys/);
  });
});
