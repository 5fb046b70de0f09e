// One-time tokens: 256-bit URL-safe values, stored only as their SHA-256, expiring exactly at expiresAt.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  expiresAtText,
  expiryOf,
  generateOneTimeTokenValue,
  hashOneTimeToken,
  isExpired,
  isRedeemed,
  looksLikeOneTimeToken,
  newOneTimeToken,
} from '../../../shared/one-time-tokens/token';

describe('one-time token values', () => {
  test('carry 32 random bytes as 43 base64url characters without padding', () => {
    const token = generateOneTimeTokenValue();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  test('do not repeat across many draws', () => {
    const tokens = new Set(Array.from({ length: 2000 }, generateOneTimeTokenValue));
    expect(tokens.size).toBe(2000);
  });

  test('are recognised as tokens, while junk is not', () => {
    expect(looksLikeOneTimeToken(generateOneTimeTokenValue())).toBe(true);
    for (const junk of ['', 'short', 'a'.repeat(129), 'has space in it and is long enough to pass length', 'x'.repeat(40) + '/+=']) {
      expect(looksLikeOneTimeToken(junk)).toBe(false);
    }
  });
});

describe('token hash', () => {
  test('is the lowercase hex SHA-256 of the token text', () => {
    const token = generateOneTimeTokenValue();
    expect(hashOneTimeToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashOneTimeToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('differs for different tokens (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        return hashOneTimeToken(a) !== hashOneTimeToken(b);
      }),
    );
  });
});

describe('expiry', () => {
  const now = new Date('2026-03-01T12:00:00.400Z');

  test('is creation time in whole epoch seconds plus the TTL', () => {
    expect(expiryOf(now, 300)).toBe(Math.floor(now.getTime() / 1000) + 300);
    expect(expiresAtText(expiryOf(now, 300))).toBe('2026-03-01T12:05:00.000Z');
  });

  test('a token is live before expiresAt and expired from expiresAt on (the redemption condition is expiresAt > now)', () => {
    const expiresAt = expiryOf(now, 300);
    expect(isExpired({ expiresAt }, new Date((expiresAt - 1) * 1000 + 999))).toBe(false);
    expect(isExpired({ expiresAt }, new Date(expiresAt * 1000))).toBe(true);
    expect(isExpired({ expiresAt }, new Date((expiresAt + 3600) * 1000))).toBe(true);
  });
});

describe('newOneTimeToken', () => {
  test('keeps only the hash of the token in the stored form, with owner, purpose and expiry', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const { token, record } = newOneTimeToken({ tenant: 't1', appId: 'app', systemAuthId: 'sa' }, 'CONFIGURATION', now, 300);
    expect(record).toEqual({
      tokenHash: hashOneTimeToken(token),
      tenant: 't1',
      appId: 'app',
      systemAuthId: 'sa',
      purpose: 'CONFIGURATION',
      expiresAt: expiryOf(now, 300),
      createdAt: '2026-03-01T12:00:00.000Z',
    });
    expect(JSON.stringify(record)).not.toContain(token);
    expect(isRedeemed(record)).toBe(false);
    expect(isRedeemed({ redeemedAt: now.toISOString() })).toBe(true);
  });
});
