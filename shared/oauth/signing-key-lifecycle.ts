// Making and rotating the access-token signing keys (the bootstrap, `npm start`, the admin CLI's rotate-signing-key): new
// KMS keys, the key set's writes, the migration of a stage whose private keys were in Secrets Manager. Kept apart from
// signing-keys.ts, which the verifiers load, so their bundles carry none of it.
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import { InternalError } from '../errors';
import type { KmsKeyAdmin } from '../aws/kms';
import { SecretExistsError, type SecretStore } from '../aws/secrets';
import {
  dropsOutAt,
  isLive,
  KMS_KEY_SPEC,
  LEGACY_SIGNING_KEYS_SECRET,
  parseKeySet,
  parseSecretJson,
  PUBLIC_KEYS_SECRET,
  publicMembers,
  type SigningKeys,
  type StoredKeySet,
  type StoredSigningKey,
} from './signing-keys';

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

/** The key set's writes of one composition root; `keys` is that root's SigningKeys, told to forget what it read. */
export class SigningKeyLifecycle {
  constructor(
    private readonly keys: Pick<SigningKeys, 'active' | 'forget' | 'retentionMs'>,
    private readonly secrets: Pick<SecretStore, 'read' | 'create' | 'put' | 'delete' | 'fullName'>,
    private readonly kms: Pick<KmsKeyAdmin, 'publicKey' | 'createSigningKey' | 'keyPolicy' | 'scheduleDeletion'>,
  ) {}

  /** The key set entry of a KMS key: its public key from GetPublicKey, its kid the thumbprint of that. */
  private async entryOfKmsKey(keyArn: string, createdAt: string): Promise<StoredSigningKey> {
    const publicJwk = publicMembers((await this.kms.publicKey(keyArn)).export({ format: 'jwk' }) as JWK);
    if (publicJwk.kty !== 'EC' || publicJwk.crv !== 'P-256') throw new Error(`KMS key ${keyArn} is not an ECC_NIST_P256 key`);
    return { kid: await calculateJwkThumbprint(publicJwk), alg: 'ES256', keyArn, publicJwk, createdAt };
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
    this.keys.forget();
    // Loading imports every key, so a damaged set fails the deployment here.
    await this.keys.active();
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
      const kept = keys.filter((key) => isLive({ dropsOutAt: dropsOutAt(key, this.keys.retentionMs()) }, nowMs));
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
    this.keys.forget();
    const publishedKids = [...stored.keys.filter((key) => !droppedKeys.some((dropped) => dropped.kid === key.kid)).map((key) => key.kid), next.kid];
    return {
      activeKid: next.kid,
      keyArn: created.keyArn,
      retiredKid: current.kid,
      retiredKeyDropsOutAt: new Date(nowMs + this.keys.retentionMs()).toISOString(),
      droppedKeys,
      publishedKids,
    };
  }
}
