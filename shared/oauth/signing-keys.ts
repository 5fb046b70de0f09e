// The access-token signing keys: asymmetric AWS KMS keys (ECC_NIST_P256, ES256) whose private halves never leave KMS.
// The key set (which key signs, every public key that may have signed a live token) is public JSON in the
// `token-signing-public-keys` secret, read by the signer (oauth) and the verifiers (Director), cached for a bounded time.
import { importJWK } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK } from 'jose';
import type { Config } from '../config';
import { InternalError } from '../errors';
import type { SecretStore } from '../aws/secrets';

/** The algorithms this service signs with; verification accepts nothing else. */
export const SIGNING_ALGORITHMS = ['ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** The KMS key spec and signing algorithm behind ES256 (RFC 7518 3.4: ECDSA P-256 SHA-256). */
export const KMS_KEY_SPEC = 'ECC_NIST_P256';
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
  /** When its successor became active: it signs nothing after this, and drops out retentionMs later. */
  retiredAt?: string;
}

/**
 * The JSON in the `token-signing-public-keys` secret. `activeKid` names the key that signs; a set without it has
 * the shape of a stage whose private keys were in Secrets Manager ({keys: [{kid, alg, publicJwk}]}), which the
 * bootstrap migrates (SigningKeyLifecycle.ensure).
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

/** The secret (below the stage's prefix) of the public key set. */
export const PUBLIC_KEYS_SECRET = 'token-signing-public-keys';
/** The secret of private JWKs of a stage that signed without KMS: only read and deleted by the migration (SigningKeyLifecycle.ensure). */
export const LEGACY_SIGNING_KEYS_SECRET = 'token-signing-keys';

/** What the signing keys read of the configuration: how long the set is kept, and how long a token lives. */
export type SigningKeySettings = () => Pick<Config, 'secretCacheSeconds' | 'accessTokenTtlSeconds'>;

/**
 * How long a retired key stays published and accepted: a signer may still sign with it for up to the key-set cache
 * age after the rotation (secretCacheSeconds), and such a token lives the access-token TTL, give or take the
 * clock tolerance. After that nothing it signed can still be valid.
 */
export const retentionMs = (settings: Pick<Config, 'secretCacheSeconds' | 'accessTokenTtlSeconds'>): number =>
  (settings.secretCacheSeconds + settings.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;

export const dropsOutAt = (key: StoredSigningKey, retention: number): number | undefined => (key.retiredAt === undefined ? undefined : Date.parse(key.retiredAt) + retention);
export const isLive = (key: { dropsOutAt?: number }, now: number): boolean => key.dropsOutAt === undefined || now < key.dropsOutAt;

/** The JSON a secret holds; an Error naming the secret when it holds something else. */
export function parseSecretJson(raw: string, name: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`secret ${name} is not JSON`);
  }
}

const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string';
const isOptionalDate = (value: unknown) => value === undefined || (typeof value === 'string' && !Number.isNaN(Date.parse(value)));

/** The key set in `raw`, the value of the secret `name` (its full name, for the message). */
export function parseKeySet(raw: string, name: string): StoredKeySet {
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
export const publicMembers = ({ kty, crv, x, y }: JWK): JWK => ({ kty, crv, x, y });


async function toLoaded(stored: StoredKeySet, retention: number): Promise<LoadedKeySet> {
  const keys = new Map<string, LoadedKey>();
  for (const entry of stored.keys) {
    const jwk = publicMembers(entry.publicJwk);
    keys.set(entry.kid, { kid: entry.kid, alg: entry.alg, jwk, key: (await importJWK(jwk, entry.alg)) as CryptoKey, dropsOutAt: dropsOutAt(entry, retention) });
  }
  const activeEntry = stored.keys.find((key) => key.kid === stored.activeKid);
  const active = activeEntry ? { kid: activeEntry.kid, alg: activeEntry.alg, keyArn: activeEntry.keyArn! } : undefined;
  return { active, keys, loadedAt: Date.now() };
}

/**
 * The stage's access-token signing keys as one composition root sees them: the key set read from its secret and kept
 * at most secretCacheSeconds (per container). Making and rotating keys is SigningKeyLifecycle (signing-key-lifecycle.ts).
 */
export class SigningKeys {
  #cached: LoadedKeySet | undefined;
  #loading: Promise<LoadedKeySet> | undefined;

  constructor(
    private readonly secrets: Pick<SecretStore, 'read' | 'fullName'>,
    private readonly settings: SigningKeySettings,
  ) {}

  /** How long a retired key stays published and accepted (retentionMs of this stage's settings). */
  retentionMs(): number {
    return retentionMs(this.settings());
  }

  private async readKeySet(): Promise<LoadedKeySet> {
    const raw = await this.secrets.read(PUBLIC_KEYS_SECRET, 0);
    if (raw === undefined) throw new InternalError('The access-token signing keys are not set up (secret token-signing-public-keys is missing)');
    return toLoaded(parseKeySet(raw, this.secrets.fullName(PUBLIC_KEYS_SECRET)), this.retentionMs());
  }

  /** The key set, at most secretCacheSeconds old; one read for all requests that find it stale. */
  private async keySet(maxAgeMs = this.settings().secretCacheSeconds * 1000): Promise<LoadedKeySet> {
    if (this.#cached && Date.now() - this.#cached.loadedAt < maxAgeMs) return this.#cached;
    this.#loading ??= this.readKeySet()
      .then((set) => (this.#cached = set))
      .finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  /** The key new access tokens are signed with: its kid and KMS key ARN (the signature itself is KMS's). */
  async active(): Promise<ActiveSigningKey> {
    const set = await this.keySet();
    if (!set.active) {
      throw new InternalError('The access-token signing key is not in KMS yet (secret token-signing-public-keys has no activeKid: the bootstrap migrates it)');
    }
    return set.active;
  }

  /** The RFC 7517 JWK Set of every public key that may have signed a live token (a retired key until it drops out). */
  async publicJwks(): Promise<JSONWebKeySet> {
    const now = Date.now();
    const keys = [...(await this.keySet()).keys.values()].filter((key) => isLive(key, now));
    return { keys: keys.map(({ kid, alg, jwk }) => ({ ...jwk, kid, alg, use: 'sig' })) };
  }

  /** The public key with this kid, or undefined when no live key has it (unknown, or retired and dropped out). */
  async verificationKey(kid: string): Promise<VerificationKey | undefined> {
    let set = await this.keySet();
    if (!set.keys.has(kid) && Date.now() - set.loadedAt >= UNKNOWN_KID_RELOAD_MS) set = await this.keySet(0);
    const key = set.keys.get(kid);
    if (!key || !isLive(key, Date.now())) return undefined;
    return { kid: key.kid, alg: key.alg, key: key.key };
  }

  /** Forgets the cached keys (tests, and after this process changed the set). */
  forget(): void {
    this.#cached = undefined;
  }
}
