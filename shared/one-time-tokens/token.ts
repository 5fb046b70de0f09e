// One-time tokens: what they are (purpose, owner, expiry, redemption) and the pure rules for making, hashing and expiring them.
import { createHash, randomBytes } from 'node:crypto';
import { epochSeconds, isPast } from '../time';

const ONE_TIME_TOKEN_PURPOSES = ['CONFIGURATION', 'CSR'] as const;
/** CONFIGURATION: redeemed by the Connector's `configuration`; CSR: by `signCertificateSigningRequest`. */
export type OneTimeTokenPurpose = (typeof ONE_TIME_TOKEN_PURPOSES)[number];

/** 256 bits: the contract's minimum, and enough that guessing a live token is hopeless. */
const ONE_TIME_TOKEN_BYTES = 32;

/**
 * The certificate a CSR token was redeemed for, kept so that the same CSR sent again gets the same answer: its DER
 * (about 1 KB, where its PEM and the CA's PEM were 3 KB, each KB costing two write units in the redemption's
 * transaction) and which CA signed it, whose certificate the CA registry holds.
 */
export interface RedeemedCertificate {
  clientCertificateDer: Uint8Array;
  sha256Fingerprint: string;
  /** The registry id of the CA that signed it; absent on tokens redeemed before CA rotation existed (the first CA's). */
  caId?: string;
}

/** A stored one-time token. The token itself is never stored, only its hash. */
export interface OneTimeToken {
  /** Hex SHA-256 of the token: the table's key. */
  tokenHash: string;
  tenant: string;
  appId: string;
  systemAuthId: string;
  purpose: OneTimeTokenPurpose;
  /** Epoch seconds; also the table's TTL attribute (TTL deletes lazily, so reads compare it too). */
  expiresAt: number;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339; set exactly once, by the redemption that won. */
  redeemedAt?: string;
  /** Hex SHA-256 of the DER of the CSR a CSR token was redeemed with. */
  csrHash?: string;
  certificate?: RedeemedCertificate;
}

/** A fresh token: 32 bytes from the CSPRNG, base64url without padding (43 URL-safe characters). */
export function generateOneTimeTokenValue(): string {
  return randomBytes(ONE_TIME_TOKEN_BYTES).toString('base64url');
}

/** The key under which a token is stored. */
export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Expiry of a token created at `now` that lives `ttlSeconds`. */
export function expiryOf(now: Date, ttlSeconds: number): number {
  return epochSeconds(now) + Math.ceil(ttlSeconds);
}

/** True from the second `expiresAt` on: the same boundary as the redemption's `expiresAt > :now` condition. */
export function isExpired(token: Pick<OneTimeToken, 'expiresAt'>, now: Date): boolean {
  return isPast(token.expiresAt, now);
}

export const isRedeemed = (token: Pick<OneTimeToken, 'redeemedAt'>): boolean => token.redeemedAt !== undefined;

/** RFC 3339 form of an epoch-seconds expiry, as clients see it. */
export const expiresAtText = (expiresAt: number): string => new Date(expiresAt * 1000).toISOString();

/**
 * Whether a presented string can be a token at all: checked before hashing and reading, so junk
 * (or a 100 kB header) never reaches DynamoDB. Longer tokens than ours are tolerated for future formats.
 */
export function looksLikeOneTimeToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{32,128}$/.test(value);
}

/** Whom a token is issued to. */
export interface OneTimeTokenOwner {
  tenant: string;
  appId: string;
  systemAuthId: string;
}

/** A token as handed to its holder, with its stored form. */
export interface IssuedOneTimeToken {
  token: string;
  record: OneTimeToken;
}

/** A new token and its stored form (not yet stored). */
export function newOneTimeToken(owner: OneTimeTokenOwner, purpose: OneTimeTokenPurpose, now: Date, ttlSeconds: number): IssuedOneTimeToken {
  const token = generateOneTimeTokenValue();
  return {
    token,
    record: {
      tokenHash: hashOneTimeToken(token),
      tenant: owner.tenant,
      appId: owner.appId,
      systemAuthId: owner.systemAuthId,
      purpose,
      expiresAt: expiryOf(now, ttlSeconds),
      createdAt: now.toISOString(),
    },
  };
}
