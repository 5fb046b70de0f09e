// The access-token signing keys: asymmetric AWS KMS keys (ECC_NIST_P256, ES256) whose private halves never leave KMS.
// The key set (which key signs, every public key that may have signed a live token) is public JSON in the
// `token-signing-public-keys` secret, read by the signer (oauth) and the verifiers (Director), cached for a bounded time.
import { calculateJwkThumbprint, importJWK } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK } from 'jose';
import type { Config } from '../config';
import { InternalError } from '../errors';
import type { KmsKeys } from '../aws/kms';
import { SecretExistsError, type SecretStore } from '../aws/secrets';

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
  /** When its successor became active: it signs nothing after this, and drops out retentionMs later. */
  retiredAt?: string;
}

/**
 * The JSON in the `token-signing-public-keys` secret. `activeKid` names the key that signs; a set without it has
 * the shape of a stage whose private keys were in Secrets Manager ({keys: [{kid, alg, publicJwk}]}), which the
 * bootstrap migrates (SigningKeys.ensure).
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
/** The secret of private JWKs of a stage that signed without KMS: only read and deleted by the migration in SigningKeys.ensure. */
const LEGACY_SIGNING_KEYS_SECRET = 'token-signing-keys';

/** What the signing keys read of the configuration: how long the set is kept, and how long a token lives. */
export type SigningKeySettings = () => Pick<Config, 'secretCacheSeconds' | 'accessTokenTtlSeconds'>;

/**
 * How long a retired key stays published and accepted: a signer may still sign with it for up to the key-set cache
 * age after the rotation (secretCacheSeconds), and such a token lives the access-token TTL, give or take the
 * clock tolerance. After that nothing it signed can still be valid.
 */
export const retentionMs = (settings: Pick<Config, 'secretCacheSeconds' | 'accessTokenTtlSeconds'>): number =>
  (settings.secretCacheSeconds + settings.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;

const dropsOutAt = (key: StoredSigningKey, retention: number): number | undefined => (key.retiredAt === undefined ? undefined : Date.parse(key.retiredAt) + retention);
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
const publicMembers = ({ kty, crv, x, y }: JWK): JWK => ({ kty, crv, x, y });


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

export interface EnsureSigningKeyOptions {
  /**
   * The KMS key to start with (in AWS: the template's TokenSigningKey). Without it, a key is created here with
   * KMS's default key policy (the local stack, whose moto checks no policy).
   */
  keyArn?: string;
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
 * The stage's access-token signing keys as one composition root sees them: the key set read from its secret and kept
 * at most secretCacheSeconds (per container), the bootstrap's ensure and the operator's rotate.
 */
export class SigningKeys {
  #cached: LoadedKeySet | undefined;
  #loading: Promise<LoadedKeySet> | undefined;

  constructor(
    private readonly secrets: Pick<SecretStore, 'read' | 'create' | 'put' | 'delete' | 'fullName'>,
    private readonly kms: Pick<KmsKeys, 'publicKey' | 'createSigningKey' | 'keyPolicy' | 'scheduleDeletion'>,
    private readonly settings: SigningKeySettings,
  ) {}

  /** How long a retired key stays published and accepted (retentionMs of this stage's settings). */
  retentionMs(): number {
    return retentionMs(this.settings());
  }

  /** The key set entry of a KMS key: its public key from GetPublicKey, its kid the thumbprint of that. */
  private async entryOfKmsKey(keyArn: string, createdAt: string): Promise<StoredSigningKey> {
    const publicJwk = publicMembers((await this.kms.publicKey(keyArn)).export({ format: 'jwk' }) as JWK);
    if (publicJwk.kty !== 'EC' || publicJwk.crv !== 'P-256') throw new Error(`KMS key ${keyArn} is not an ECC_NIST_P256 key`);
    return { kid: await calculateJwkThumbprint(publicJwk), alg: 'ES256', keyArn, publicJwk, createdAt };
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

  /** The public keys of a set without activeKid, or else of the private-JWK secret; [] when neither exists. */
  private async legacyKeys(legacySet: StoredKeySet | undefined, retiredAt: string): Promise<StoredSigningKey[]> {
    let keys = legacySet?.keys;
    if (keys === undefined) {
      const raw = await this.secrets.read(LEGACY_SIGNING_KEYS_SECRET, 0);
      if (raw === undefined) return [];
      const value = parseSecretJson(raw, this.secrets.fullName(LEGACY_SIGNING_KEYS_SECRET)) as { keys?: unknown } | null;
      if (!Array.isArray(value?.keys)) throw new Error(`secret ${this.secrets.fullName(LEGACY_SIGNING_KEYS_SECRET)} does not hold {keys: [...]}`);
      keys = value.keys as StoredSigningKey[];
    }
    return keys.map((key) => {
      if (typeof key?.kid !== 'string' || key.alg !== 'ES256' || typeof key.publicJwk !== 'object') {
        throw new Error(`secret ${this.secrets.fullName(LEGACY_SIGNING_KEYS_SECRET)} holds a key that is not an ES256 {kid, publicJwk}`);
      }
      // Only the public members are carried over; the retirement starts the drop-out clock now.
      return { kid: key.kid, alg: key.alg, publicJwk: publicMembers(key.publicJwk), createdAt: key.createdAt, retiredAt };
    });
  }

  /**
   * Makes sure the stage signs with a KMS key (bootstrap, `npm start`). Never replaces a set that already has one. A set
   * without a KMS key (its private twin in `token-signing-keys`) is migrated: the KMS key becomes active, the old public keys
   * stay published as retired until every token they signed has expired, and the private secret is deleted.
   * Safe when several processes race: one set wins, a loser's own new KMS key is scheduled for deletion.
   */
  async ensure(options: EnsureSigningKeyOptions = {}): Promise<void> {
    const raw = await this.secrets.read(PUBLIC_KEYS_SECRET, 0);
    const existing = raw === undefined ? undefined : parseKeySet(raw, this.secrets.fullName(PUBLIC_KEYS_SECRET));
    if (existing?.activeKid === undefined) {
      const now = new Date().toISOString();
      const createdHere = options.keyArn === undefined;
      const keyArn = options.keyArn ?? (await this.kms.createSigningKey({ keySpec: KMS_KEY_SPEC, description: `Access-token signing key of ${this.secrets.fullName()}` })).keyArn;
      const active = await this.entryOfKmsKey(keyArn, now);
      const set: StoredKeySet = { activeKid: active.kid, keys: [...(await this.legacyKeys(existing, now)), active] };
      try {
        if (existing !== undefined) await this.secrets.put(PUBLIC_KEYS_SECRET, JSON.stringify(set));
        else await this.secrets.create(PUBLIC_KEYS_SECRET, JSON.stringify(set), 'Access-token signing keys of the pairing service: KMS key ARNs and public JWKs');
      } catch (error) {
        // A key made here that no set names never signed: it goes (never the template's key, which the stack owns).
        if (createdHere) await this.kms.scheduleDeletion(keyArn).catch(() => undefined);
        if (!(error instanceof SecretExistsError)) throw error;
        // Another process created the set between our read and our create: theirs wins.
        const theirs = await this.secrets.read(PUBLIC_KEYS_SECRET, 0);
        if (theirs === undefined || parseKeySet(theirs, this.secrets.fullName(PUBLIC_KEYS_SECRET)).activeKid === undefined) throw error;
      }
    }
    // A private key kept in Secrets Manager has no use once KMS signs: its public half verifies what it signed.
    // Read first: a stage that never had one needs no DeleteSecret (nor the right to it). A run that failed between the
    // set's write and this delete finishes it the next time.
    if ((await this.secrets.read(LEGACY_SIGNING_KEYS_SECRET, 0)) !== undefined) await this.secrets.delete(LEGACY_SIGNING_KEYS_SECRET);
    this.forget();
    // Loading imports every key, so a damaged set fails the deployment here.
    await this.active();
  }

  /**
   * Creates a new KMS key with the active key's key policy (so exactly the same roles may sign with it), makes it the
   * active key and retires the previous one; keys retired longer than retentionMs ago are removed from the set and
   * their KMS keys scheduled for deletion (KMS_MIN_DELETION_DAYS). Meant for an operator: two rotations at the same
   * moment may keep only one of the two new keys (the other is then never used and should be deleted by hand).
   */
  async rotate(): Promise<RotationResult> {
    const raw = await this.secrets.read(PUBLIC_KEYS_SECRET, 0);
    if (raw === undefined) throw new InternalError('The access-token signing keys are not set up (secret token-signing-public-keys is missing)');
    const stored = parseKeySet(raw, this.secrets.fullName(PUBLIC_KEYS_SECRET));
    const current = stored.keys.find((key) => key.kid === stored.activeKid);
    if (!current) throw new InternalError('The access-token signing key is not in KMS yet: deploy (or npm start) once to migrate it, then rotate');

    const policy = await this.kms.keyPolicy(current.keyArn!);
    const created = await this.kms.createSigningKey({ keySpec: KMS_KEY_SPEC, description: `Access-token signing key of ${this.secrets.fullName()}`, policy });
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    let next: StoredSigningKey;
    const droppedKeys: RotationResult['droppedKeys'] = [];
    try {
      next = await this.entryOfKmsKey(created.keyArn, now);
      const keys = stored.keys.map((key) => (key.kid === current.kid ? { ...key, retiredAt: now } : key));
      const kept = keys.filter((key) => isLive({ dropsOutAt: dropsOutAt(key, this.retentionMs()) }, nowMs));
      // Verifiers already refuse a dropped key (computed at read time), so deleting its KMS key first loses nothing;
      // if the write below fails, the next rotation finds it already pending deletion.
      for (const key of keys.filter((candidate) => !kept.includes(candidate))) {
        const scheduled = key.keyArn === undefined ? undefined : await this.kms.scheduleDeletion(key.keyArn);
        droppedKeys.push({ kid: key.kid, keyArn: key.keyArn, deletionDate: scheduled?.deletionDate?.toISOString() });
      }
      const updated: StoredKeySet = { activeKid: next.kid, keys: [...kept, next] };
      await this.secrets.put(PUBLIC_KEYS_SECRET, JSON.stringify(updated));
    } catch (error) {
      // The new key signed nothing and is in no set: it must not linger (nor cost).
      await this.kms.scheduleDeletion(created.keyArn).catch(() => undefined);
      throw error;
    }
    this.forget();
    const publishedKids = [...stored.keys.filter((key) => !droppedKeys.some((dropped) => dropped.kid === key.kid)).map((key) => key.kid), next.kid];
    return {
      activeKid: next.kid,
      keyArn: created.keyArn,
      retiredKid: current.kid,
      retiredKeyDropsOutAt: new Date(nowMs + this.retentionMs()).toISOString(),
      droppedKeys,
      publishedKids,
    };
  }

}
