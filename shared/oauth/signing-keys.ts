// The access-token signing keys: kept in Secrets Manager (the public halves also in a secret of their own, for verifiers), published as the JWKS, cached in memory for a bounded time.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK } from 'jose';
import { config } from '../config';
import { InternalError } from '../errors';
import { createSecret, putSecret, readSecret, secretName, SecretExistsError } from '../aws/secrets';

/** The algorithms this service signs with; verification accepts nothing else. */
export const SIGNING_ALGORITHMS = ['ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: string;
}

/** The JSON stored in the `token-signing-keys` secret. */
interface StoredSigningKeys {
  activeKid: string;
  keys: StoredSigningKey[];
}

/** The JSON stored in the `token-signing-public-keys` secret: what verifiers read, so their roles never get a private key. */
interface StoredPublicKeys {
  keys: Array<Pick<StoredSigningKey, 'kid' | 'alg' | 'publicJwk'>>;
}

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

interface SigningKeySet {
  active: SigningKey;
  publicKeys: Map<string, SigningKey>;
  jwks: JSONWebKeySet;
  loadedAt: number;
}

/** An unknown kid makes us re-read the secret (another process may have rotated), but not more often than this. */
const UNKNOWN_KID_RELOAD_MS = 5000;

export const signingKeysSecretName = (): string => secretName('token-signing-keys');
export const publicKeysSecretName = (): string => secretName('token-signing-public-keys');

const publicKeysOf = (stored: StoredSigningKeys): StoredPublicKeys => ({ keys: stored.keys.map(({ kid, alg, publicJwk }) => ({ kid, alg, publicJwk })) });

async function newStoredKey(): Promise<StoredSigningKey> {
  const alg: SigningAlgorithm = 'ES256';
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  // RFC 7638 thumbprint: a kid that names the key itself, so two processes can never disagree about it.
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg, privateJwk, publicJwk, createdAt: new Date().toISOString() };
}

/** The JSON a secret holds; an Error naming the secret when it holds something else. */
function parseSecretJson(raw: string, name: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`secret ${name} is not JSON`);
  }
}

function parseStored(raw: string): StoredSigningKeys {
  const value = parseSecretJson(raw, signingKeysSecretName()) as Partial<StoredSigningKeys> | null;
  const keysValid = Array.isArray(value?.keys) && value.keys.every(
    (key) => typeof key?.kid === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(key.alg)
      && typeof key.privateJwk === 'object' && typeof key.publicJwk === 'object' && typeof key.createdAt === 'string',
  );
  if (!value || !keysValid || !value.keys!.some((key) => key.kid === value.activeKid)) {
    throw new Error(`secret ${signingKeysSecretName()} does not hold {activeKid, keys} with the active key among the keys`);
  }
  return value as StoredSigningKeys;
}

/** Reads the stored keys (always fresh), creating the first key when there is none yet. */
async function readOrCreateStored(): Promise<StoredSigningKeys> {
  const raw = await readSecret(signingKeysSecretName(), 0);
  if (raw !== undefined) return parseStored(raw);
  const first = await newStoredKey();
  const stored: StoredSigningKeys = { activeKid: first.kid, keys: [first] };
  let created: StoredSigningKeys;
  try {
    await createSecret(signingKeysSecretName(), JSON.stringify(stored), 'Access-token signing keys of the pairing service');
    created = stored;
  } catch (error) {
    if (!(error instanceof SecretExistsError)) throw error;
    // Another process created it between our read and our create: use theirs.
    const theirs = await readSecret(signingKeysSecretName(), 0);
    if (theirs === undefined) throw error;
    created = parseStored(theirs);
  }
  // The first key is published for verifiers before this process signs with it. (In AWS the bootstrap does
  // all this before any traffic; a function's role may create neither secret.)
  await ensurePublicKeys(created);
  return created;
}

function parsePublic(raw: string): StoredPublicKeys {
  const value = parseSecretJson(raw, publicKeysSecretName()) as Partial<StoredPublicKeys> | null;
  const keysValid = Array.isArray(value?.keys) && value.keys.every(
    (key) => typeof key?.kid === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(key.alg) && typeof key.publicJwk === 'object',
  );
  if (!value || !keysValid) throw new Error(`secret ${publicKeysSecretName()} does not hold {keys: [{kid, alg, publicJwk}]}`);
  return value as StoredPublicKeys;
}

/**
 * Creates the public key set from the stored keys unless it exists (a stack whose keys predate it gets it on its
 * next deployment). Never overwrites: a set without the active kid would refuse every new token, so that fails here.
 */
async function ensurePublicKeys(stored: StoredSigningKeys): Promise<void> {
  let raw = await readSecret(publicKeysSecretName(), 0);
  if (raw === undefined) {
    try {
      await createSecret(publicKeysSecretName(), JSON.stringify(publicKeysOf(stored)), 'Access-token verification keys of the pairing service (public JWKs)');
      return;
    } catch (error) {
      if (!(error instanceof SecretExistsError)) throw error;
      raw = await readSecret(publicKeysSecretName(), 0);
      if (raw === undefined) throw error;
    }
  }
  if (!parsePublic(raw).keys.some((key) => key.kid === stored.activeKid)) {
    throw new Error(`secret ${publicKeysSecretName()} lacks the active signing key ${stored.activeKid}`);
  }
}

async function toKeySet(stored: StoredSigningKeys): Promise<SigningKeySet> {
  const publicKeys = new Map<string, SigningKey>();
  const jwks: JSONWebKeySet = { keys: [] };
  let active: SigningKey | undefined;
  for (const entry of stored.keys) {
    publicKeys.set(entry.kid, { kid: entry.kid, alg: entry.alg, key: (await importJWK(entry.publicJwk, entry.alg)) as CryptoKey });
    const { kty, crv, x, y, n, e } = entry.publicJwk;
    jwks.keys.push({ kty, crv, x, y, n, e, kid: entry.kid, alg: entry.alg, use: 'sig' });
    if (entry.kid === stored.activeKid) {
      active = { kid: entry.kid, alg: entry.alg, key: (await importJWK(entry.privateJwk, entry.alg)) as CryptoKey };
    }
  }
  // parseStored guarantees the active key is present.
  return { active: active!, publicKeys, jwks: JSON.parse(JSON.stringify(jwks)) as JSONWebKeySet, loadedAt: Date.now() };
}

let cached: SigningKeySet | undefined;
let loading: Promise<SigningKeySet> | undefined;

async function keySet(maxAgeMs = config().secretCacheSeconds * 1000): Promise<SigningKeySet> {
  if (cached && Date.now() - cached.loadedAt < maxAgeMs) return cached;
  // One read for all requests that find the cache stale at the same time.
  loading ??= readOrCreateStored()
    .then(toKeySet)
    .then((set) => (cached = set))
    .finally(() => (loading = undefined));
  return loading;
}

/** Creates the signing key if there is none yet, and the public key set if absent (safe when several processes race). */
export async function ensureSigningKey(): Promise<void> {
  const stored = await readOrCreateStored();
  await ensurePublicKeys(stored);
  // Importing the keys checks them, so a damaged secret fails the deployment here.
  cached = await toKeySet(stored);
}

/**
 * Adds a new key and makes it the active one; older public keys stay in the JWKS while tokens
 * they signed may still be alive. Returns the new kid. Meant for an operator: two rotations at
 * the same moment may keep only one of the two new keys.
 */
export async function rotateSigningKey(): Promise<string> {
  const stored = await readOrCreateStored();
  const next = await newStoredKey();
  const now = Date.now();
  // A key stops signing when its successor is created; after the longest token lifetime
  // (plus clock skew) nothing it signed can still be valid, so it leaves the set.
  const keepMs = (config().accessTokenTtlSeconds + 300) * 1000;
  const byAge = [...stored.keys].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const kept = byAge.filter((_key, index) => {
    const successor = byAge[index + 1];
    return successor === undefined || now - Date.parse(successor.createdAt) < keepMs;
  });
  const updated: StoredSigningKeys = { activeKid: next.kid, keys: [...kept, next] };
  // Verifiers first: no token is ever signed with a kid they cannot find. A failure between the two writes
  // leaves one extra public key that signed nothing (the next rotation drops it).
  await putSecret(publicKeysSecretName(), JSON.stringify(publicKeysOf(updated)));
  await putSecret(signingKeysSecretName(), JSON.stringify(updated));
  cached = undefined;
  cachedPublic = undefined;
  return next.kid;
}

/** The RFC 7517 JWK Set of every public key that may have signed a live token. */
export async function publicJwks(): Promise<JSONWebKeySet> {
  return (await keySet()).jwks;
}

/** The key new access tokens are signed with. */
export async function activeSigningKey(): Promise<SigningKey> {
  return (await keySet()).active;
}

interface VerificationKeySet {
  keys: Map<string, SigningKey>;
  loadedAt: number;
}

let cachedPublic: VerificationKeySet | undefined;
let loadingPublic: Promise<VerificationKeySet> | undefined;

async function readVerificationKeys(): Promise<VerificationKeySet> {
  const raw = await readSecret(publicKeysSecretName(), 0);
  if (raw === undefined) throw new InternalError('The access-token verification keys are not set up (secret token-signing-public-keys is missing)');
  const keys = new Map<string, SigningKey>();
  for (const entry of parsePublic(raw).keys) {
    keys.set(entry.kid, { kid: entry.kid, alg: entry.alg, key: (await importJWK(entry.publicJwk, entry.alg)) as CryptoKey });
  }
  return { keys, loadedAt: Date.now() };
}

/**
 * The public keys, from their own secret (verifiers' roles are granted that one only), cached like the
 * signing keys: at most config().secretCacheSeconds old, one read for all requests finding it stale.
 */
async function verificationKeySet(maxAgeMs = config().secretCacheSeconds * 1000): Promise<VerificationKeySet> {
  if (cachedPublic && Date.now() - cachedPublic.loadedAt < maxAgeMs) return cachedPublic;
  loadingPublic ??= readVerificationKeys()
    .then((set) => (cachedPublic = set))
    .finally(() => (loadingPublic = undefined));
  return loadingPublic;
}

/** The public key with this kid, or undefined when no current key has it. */
export async function verificationKey(kid: string): Promise<SigningKey | undefined> {
  const set = await verificationKeySet();
  const key = set.keys.get(kid);
  if (key || Date.now() - set.loadedAt < UNKNOWN_KID_RELOAD_MS) return key;
  return (await verificationKeySet(0)).keys.get(kid);
}

/** Forgets the cached keys (tests). */
export function forgetSigningKeys(): void {
  cached = undefined;
  cachedPublic = undefined;
}
