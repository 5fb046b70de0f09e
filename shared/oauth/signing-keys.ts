// The access-token signing keys: asymmetric AWS KMS keys (ECC_NIST_P256, ES256) whose private halves never leave KMS.
// The key set (which key signs, every public key that may have signed a live token) is public JSON in the
// `token-signing-public-keys` secret, read by the signer (oauth) and the verifiers (Director), cached for a bounded time.
import { calculateJwkThumbprint, importJWK } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK } from 'jose';
import { config } from '../config';
import { InternalError } from '../errors';
import { createKmsSigningKey, kmsKeyPolicy, kmsPublicKey, scheduleKmsKeyDeletion } from '../aws/kms';
import { createSecret, deleteSecret, putSecret, readSecret, secretName, SecretExistsError } from '../aws/secrets';

/** The algorithms this service signs with; verification accepts nothing else. */
export const SIGNING_ALGORITHMS = ['ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** The KMS key spec and signing algorithm behind ES256 (RFC 7518 3.4: ECDSA P-256 SHA-256). */
const KMS_KEY_SPEC = 'ECC_NIST_P256';
export const KMS_SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/**
 * Clock skew tolerated between this service's functions: on exp, on an iat in the future (a token issued
 * later than that was not issued by us as it claims), and on the token's age.
 */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** One key of the set. Public material only: the private key is in KMS, named by keyArn. */
export interface StoredSigningKey {
  /** RFC 7638 thumbprint of publicJwk: a kid that names the key itself. */
  kid: string;
  alg: SigningAlgorithm;
  /** The KMS key; absent for a key whose private half was kept in Secrets Manager (it only verifies, until it drops out). */
  keyArn?: string;
  publicJwk: JWK;
  createdAt?: string;
  /** When its successor became active: it signs nothing after this, and drops out retentionMs() later. */
  retiredAt?: string;
}

/**
 * The JSON in the `token-signing-public-keys` secret. `activeKid` names the key that signs; a set without it has
 * the shape of a stage whose private keys were in Secrets Manager ({keys: [{kid, alg, publicJwk}]}), which the
 * bootstrap migrates (ensureSigningKey).
 */
export interface StoredKeySet {
  activeKid?: string;
  keys: StoredSigningKey[];
}

/** What the signer holds: the kid to name and the KMS key to ask. Never a private key. */
export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  keyArn: string;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

interface LoadedKey extends VerificationKey {
  jwk: JWK;
  /** Epoch ms after which the key verifies nothing and leaves the JWKS; undefined while it may sign. */
  dropsOutAt?: number;
}

interface LoadedKeySet {
  active?: ActiveSigningKey;
  keys: Map<string, LoadedKey>;
  loadedAt: number;
}

/** An unknown kid makes us re-read the secret (another process may have rotated), but not more often than this. */
const UNKNOWN_KID_RELOAD_MS = 5000;

export const publicKeysSecretName = (): string => secretName('token-signing-public-keys');
/** The secret of private JWKs of a stage that signed without KMS: only read and deleted by the migration in ensureSigningKey. */
const legacySigningKeysSecretName = (): string => secretName('token-signing-keys');

/**
 * How long a retired key stays published and accepted: a signer may still sign with it for up to the key-set cache
 * age after the rotation (config().secretCacheSeconds), and such a token lives the access-token TTL, give or take the
 * clock tolerance. After that nothing it signed can still be valid.
 */
export const retentionMs = (): number => (config().secretCacheSeconds + config().accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;

const dropsOutAt = (key: StoredSigningKey): number | undefined => (key.retiredAt === undefined ? undefined : Date.parse(key.retiredAt) + retentionMs());
const isLive = (key: { dropsOutAt?: number }, now: number): boolean => key.dropsOutAt === undefined || now < key.dropsOutAt;

/** The JSON a secret holds; an Error naming the secret when it holds something else. */
function parseSecretJson(raw: string, name: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`secret ${name} is not JSON`);
  }
}

const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string';
const isOptionalDate = (value: unknown) => value === undefined || (typeof value === 'string' && !Number.isNaN(Date.parse(value)));

export function parseKeySet(raw: string): StoredKeySet {
  const name = publicKeysSecretName();
  const value = parseSecretJson(raw, name) as Partial<StoredKeySet> | null;
  const keysValid = Array.isArray(value?.keys) && value.keys.every(
    (key) => typeof key?.kid === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(key.alg)
      && typeof key.publicJwk === 'object' && key.publicJwk !== null && !('d' in key.publicJwk)
      && isOptionalString(key.keyArn) && isOptionalDate(key.createdAt) && isOptionalDate(key.retiredAt),
  );
  if (!value || !keysValid) throw new Error(`secret ${name} does not hold {activeKid, keys: [{kid, alg, keyArn, publicJwk, createdAt, retiredAt?}]}`);
  if (value.activeKid !== undefined) {
    const active = value.keys!.find((key) => key.kid === value.activeKid);
    if (!active || active.keyArn === undefined || active.retiredAt !== undefined) {
      throw new Error(`secret ${name}: the active key ${String(value.activeKid)} is missing, has no KMS key or is retired`);
    }
  }
  return value as StoredKeySet;
}

/** The public JWK's members that identify the key (RFC 7638), nothing else: never a private member. */
const publicMembers = ({ kty, crv, x, y }: JWK): JWK => ({ kty, crv, x, y });

/** The key set entry of a KMS key: its public key from GetPublicKey, its kid the thumbprint of that. */
async function entryOfKmsKey(keyArn: string, createdAt: string): Promise<StoredSigningKey> {
  const publicJwk = publicMembers((await kmsPublicKey(keyArn)).export({ format: 'jwk' }) as JWK);
  if (publicJwk.kty !== 'EC' || publicJwk.crv !== 'P-256') throw new Error(`KMS key ${keyArn} is not an ECC_NIST_P256 key`);
  return { kid: await calculateJwkThumbprint(publicJwk), alg: 'ES256', keyArn, publicJwk, createdAt };
}

async function toLoaded(stored: StoredKeySet): Promise<LoadedKeySet> {
  const keys = new Map<string, LoadedKey>();
  for (const entry of stored.keys) {
    const jwk = publicMembers(entry.publicJwk);
    keys.set(entry.kid, { kid: entry.kid, alg: entry.alg, jwk, key: (await importJWK(jwk, entry.alg)) as CryptoKey, dropsOutAt: dropsOutAt(entry) });
  }
  const activeEntry = stored.keys.find((key) => key.kid === stored.activeKid);
  const active = activeEntry ? { kid: activeEntry.kid, alg: activeEntry.alg, keyArn: activeEntry.keyArn! } : undefined;
  return { active, keys, loadedAt: Date.now() };
}

async function readKeySet(): Promise<LoadedKeySet> {
  const raw = await readSecret(publicKeysSecretName(), 0);
  if (raw === undefined) throw new InternalError('The access-token signing keys are not set up (secret token-signing-public-keys is missing)');
  return toLoaded(parseKeySet(raw));
}

let cached: LoadedKeySet | undefined;
let loading: Promise<LoadedKeySet> | undefined;

/** The key set, at most config().secretCacheSeconds old; one read for all requests that find it stale. */
async function keySet(maxAgeMs = config().secretCacheSeconds * 1000): Promise<LoadedKeySet> {
  if (cached && Date.now() - cached.loadedAt < maxAgeMs) return cached;
  loading ??= readKeySet()
    .then((set) => (cached = set))
    .finally(() => (loading = undefined));
  return loading;
}

/** The key new access tokens are signed with: its kid and KMS key ARN (the signature itself is KMS's). */
export async function activeSigningKey(): Promise<ActiveSigningKey> {
  const set = await keySet();
  if (!set.active) {
    throw new InternalError('The access-token signing key is not in KMS yet (secret token-signing-public-keys has no activeKid: the bootstrap migrates it)');
  }
  return set.active;
}

/** The RFC 7517 JWK Set of every public key that may have signed a live token (a retired key until it drops out). */
export async function publicJwks(): Promise<JSONWebKeySet> {
  const now = Date.now();
  const keys = [...(await keySet()).keys.values()].filter((key) => isLive(key, now));
  return { keys: keys.map(({ kid, alg, jwk }) => ({ ...jwk, kid, alg, use: 'sig' })) };
}

/** The public key with this kid, or undefined when no live key has it (unknown, or retired and dropped out). */
export async function verificationKey(kid: string): Promise<VerificationKey | undefined> {
  let set = await keySet();
  if (!set.keys.has(kid) && Date.now() - set.loadedAt >= UNKNOWN_KID_RELOAD_MS) set = await keySet(0);
  const key = set.keys.get(kid);
  if (!key || !isLive(key, Date.now())) return undefined;
  return { kid: key.kid, alg: key.alg, key: key.key };
}

/** Forgets the cached keys (tests, and after this process changed the set). */
export function forgetSigningKeys(): void {
  cached = undefined;
}

/** The public keys of a set without activeKid, or else of the private-JWK secret; [] when neither exists. */
async function legacyKeys(legacySet: StoredKeySet | undefined, retiredAt: string): Promise<StoredSigningKey[]> {
  let keys = legacySet?.keys;
  if (keys === undefined) {
    const raw = await readSecret(legacySigningKeysSecretName(), 0);
    if (raw === undefined) return [];
    const value = parseSecretJson(raw, legacySigningKeysSecretName()) as { keys?: unknown } | null;
    if (!Array.isArray(value?.keys)) throw new Error(`secret ${legacySigningKeysSecretName()} does not hold {keys: [...]}`);
    keys = value.keys as StoredSigningKey[];
  }
  return keys.map((key) => {
    if (typeof key?.kid !== 'string' || key.alg !== 'ES256' || typeof key.publicJwk !== 'object') {
      throw new Error(`secret ${legacySigningKeysSecretName()} holds a key that is not an ES256 {kid, publicJwk}`);
    }
    // Only the public members are carried over; the retirement starts the drop-out clock now.
    return { kid: key.kid, alg: key.alg, publicJwk: publicMembers(key.publicJwk), createdAt: key.createdAt, retiredAt };
  });
}

export interface EnsureSigningKeyOptions {
  /**
   * The KMS key to start with (in AWS: the template's TokenSigningKey). Without it, a key is created here with
   * KMS's default key policy (the local stack, whose moto checks no policy).
   */
  keyArn?: string;
}

/**
 * Makes sure the stage signs with a KMS key (bootstrap, `npm start`). Never replaces a set that already has one. A set
 * without a KMS key (its private twin in `token-signing-keys`) is migrated: the KMS key becomes active, the old public keys
 * stay published as retired until every token they signed has expired, and the private secret is deleted.
 * Safe when several processes race: one set wins, a loser's own new KMS key is scheduled for deletion.
 */
export async function ensureSigningKey(options: EnsureSigningKeyOptions = {}): Promise<void> {
  const raw = await readSecret(publicKeysSecretName(), 0);
  const existing = raw === undefined ? undefined : parseKeySet(raw);
  if (existing?.activeKid === undefined) {
    const now = new Date().toISOString();
    const createdHere = options.keyArn === undefined;
    const keyArn = options.keyArn ?? (await createKmsSigningKey({ keySpec: KMS_KEY_SPEC, description: `Access-token signing key of ${config().secretsPrefix}` })).keyArn;
    const active = await entryOfKmsKey(keyArn, now);
    const set: StoredKeySet = { activeKid: active.kid, keys: [...(await legacyKeys(existing, now)), active] };
    try {
      if (existing !== undefined) await putSecret(publicKeysSecretName(), JSON.stringify(set));
      else await createSecret(publicKeysSecretName(), JSON.stringify(set), 'Access-token signing keys of the pairing service: KMS key ARNs and public JWKs');
    } catch (error) {
      // A key made here that no set names never signed: it goes (never the template's key, which the stack owns).
      if (createdHere) await scheduleKmsKeyDeletion(keyArn).catch(() => undefined);
      if (!(error instanceof SecretExistsError)) throw error;
      // Another process created the set between our read and our create: theirs wins.
      const theirs = await readSecret(publicKeysSecretName(), 0);
      if (theirs === undefined || parseKeySet(theirs).activeKid === undefined) throw error;
    }
  }
  // A private key kept in Secrets Manager has no use once KMS signs: its public half verifies what it signed.
  // Read first: a stage that never had one needs no DeleteSecret (nor the right to it). A run that failed between the
  // set's write and this delete finishes it the next time.
  if ((await readSecret(legacySigningKeysSecretName(), 0)) !== undefined) await deleteSecret(legacySigningKeysSecretName());
  forgetSigningKeys();
  // Loading imports every key, so a damaged set fails the deployment here.
  await activeSigningKey();
}

export interface RotationResult {
  activeKid: string;
  keyArn: string;
  retiredKid: string;
  /** When the retired key leaves the JWKS and verifies nothing more. */
  retiredKeyDropsOutAt: string;
  /** Keys whose window had passed: removed from the set and, if in KMS, scheduled for deletion. */
  droppedKeys: Array<{ kid: string; keyArn?: string; deletionDate?: string }>;
  /** Every key of the new set, as the JWKS will publish it now. */
  publishedKids: string[];
}

/**
 * Creates a new KMS key with the active key's key policy (so exactly the same roles may sign with it), makes it the
 * active key and retires the previous one; keys retired longer than retentionMs() ago are removed from the set and
 * their KMS keys scheduled for deletion (KMS_MIN_DELETION_DAYS). Meant for an operator: two rotations at the same
 * moment may keep only one of the two new keys (the other is then never used and should be deleted by hand).
 */
export async function rotateSigningKey(): Promise<RotationResult> {
  const raw = await readSecret(publicKeysSecretName(), 0);
  if (raw === undefined) throw new InternalError('The access-token signing keys are not set up (secret token-signing-public-keys is missing)');
  const stored = parseKeySet(raw);
  const current = stored.keys.find((key) => key.kid === stored.activeKid);
  if (!current) throw new InternalError('The access-token signing key is not in KMS yet: deploy (or npm start) once to migrate it, then rotate');

  const policy = await kmsKeyPolicy(current.keyArn!);
  const created = await createKmsSigningKey({ keySpec: KMS_KEY_SPEC, description: `Access-token signing key of ${config().secretsPrefix}`, policy });
  const nowMs = Date.now();
  const now = new Date(nowMs).toISOString();
  let next: StoredSigningKey;
  const droppedKeys: RotationResult['droppedKeys'] = [];
  try {
    next = await entryOfKmsKey(created.keyArn, now);
    const keys = stored.keys.map((key) => (key.kid === current.kid ? { ...key, retiredAt: now } : key));
    const kept = keys.filter((key) => isLive({ dropsOutAt: dropsOutAt(key) }, nowMs));
    // Verifiers already refuse a dropped key (computed at read time), so deleting its KMS key first loses nothing;
    // if the write below fails, the next rotation finds it already pending deletion.
    for (const key of keys.filter((candidate) => !kept.includes(candidate))) {
      const scheduled = key.keyArn === undefined ? undefined : await scheduleKmsKeyDeletion(key.keyArn);
      droppedKeys.push({ kid: key.kid, keyArn: key.keyArn, deletionDate: scheduled?.deletionDate?.toISOString() });
    }
    const updated: StoredKeySet = { activeKid: next.kid, keys: [...kept, next] };
    await putSecret(publicKeysSecretName(), JSON.stringify(updated));
  } catch (error) {
    // The new key signed nothing and is in no set: it must not linger (nor cost).
    await scheduleKmsKeyDeletion(created.keyArn).catch(() => undefined);
    throw error;
  }
  forgetSigningKeys();
  const publishedKids = [...stored.keys.filter((key) => !droppedKeys.some((dropped) => dropped.kid === key.kid)).map((key) => key.kid), next.kid];
  return {
    activeKid: next.kid,
    keyArn: created.keyArn,
    retiredKid: current.kid,
    retiredKeyDropsOutAt: new Date(nowMs + retentionMs()).toISOString(),
    droppedKeys,
    publishedKids,
  };
}
