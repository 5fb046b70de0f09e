// OAuth client secrets checked without a Secrets Manager read per attempt: a short-lived verifier per client secret, an HMAC of the secret, never the secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { setBounded } from '../bounded-map';
import { MAX_LIVE_CLIENT_SECRETS } from '../system-auths/types';

/**
 * How long a verifier answers for a secret before it is read again. The value under one secret id never
 * changes (rotation adds a secret with a new id), and whether the client and that secret id may still
 * authenticate is decided by its SystemAuth, read on every attempt: this only bounds how long a verifier
 * outlives its secret.
 */
export const SECRET_VERIFIER_TTL_MS = 60_000;

/** Verifiers kept at most: only live secrets of ACTIVE clients get one, but memory stays bounded anyway. */
const MAX_SECRET_VERIFIERS = 10_000;

interface HeldVerifier {
  /** Undefined when the client has no secret; a pending read is shared by the attempts that arrive meanwhile. */
  verifier: Promise<Buffer | undefined>;
  expiresAt: number;
}

/** Compares two verifiers; injectable so that a test can count the comparisons. */
export type VerifierComparison = (a: Buffer, b: Buffer) => boolean;

/** The key of one secret's verifier. */
const verifierKey = (clientId: string, secretId: string): string => `${clientId}/${secretId}`;

/**
 * Per client secret, for SECRET_VERIFIER_TTL_MS, HMAC-SHA256 of it under a key drawn at random when
 * this object is made (once per process: the handlers build one) and kept nowhere else. A verifier read
 * from memory is useless without the key, and the key dies with the process. Wrong secrets for a known
 * client then cost one Secrets Manager read per client and period instead of one per attempt.
 */
export class SecretVerifiers {
  private readonly key = randomBytes(32);
  private readonly held = new Map<string, HeldVerifier>();
  /** What an empty slot is compared with: matches nothing anyone can present (no key, no preimage). */
  private readonly nothing = randomBytes(32);

  constructor(
    private readonly now: () => number = Date.now,
    private readonly compare: VerifierComparison = (a, b) => timingSafeEqual(a, b),
  ) {}

  /**
   * The id of the live secret that `presented` is, or undefined. `secretIds` are the client's live secrets as
   * its SystemAuth says right now (a revoked id is not among them, whatever verifier is held for it).
   * Always MAX_LIVE_CLIENT_SECRETS comparisons, all of them, whatever matched and however many secrets the
   * client has: the time says neither which secret matched nor how many there are. `readSecret` runs only for
   * a secret with no fresh verifier; a read that fails or finds no secret is not remembered.
   */
  async matchingSecret(
    clientId: string,
    presented: string,
    secretIds: readonly string[],
    readSecret: (secretId: string) => Promise<string | undefined>,
  ): Promise<string | undefined> {
    const slots = secretIds.slice(0, MAX_LIVE_CLIENT_SECRETS);
    const verifiers = await Promise.all(slots.map((secretId) => this.verifierOf(clientId, secretId, () => readSecret(secretId))));
    const mac = this.mac(presented);
    let matched: string | undefined;
    for (let slot = 0; slot < MAX_LIVE_CLIENT_SECRETS; slot += 1) {
      // All 32-byte MACs: no comparison's time says anything about a secret or the presented value.
      const matches = this.compare(mac, verifiers[slot] ?? this.nothing);
      if (matches && slot < slots.length && verifiers[slot] !== undefined) matched = slots[slot];
    }
    return matched;
  }

  /** Drops the verifiers of the client (revoked in this process), or of one of its secrets. */
  forget(clientId: string, secretId?: string): void {
    if (secretId !== undefined) {
      this.held.delete(verifierKey(clientId, secretId));
      return;
    }
    for (const key of [...this.held.keys()]) if (key.startsWith(`${clientId}/`)) this.held.delete(key);
  }

  private mac(secret: string): Buffer {
    return createHmac('sha256', this.key).update(secret, 'utf8').digest();
  }

  private verifierOf(clientId: string, secretId: string, readSecret: () => Promise<string | undefined>): Promise<Buffer | undefined> {
    const key = verifierKey(clientId, secretId);
    const now = this.now();
    const held = this.held.get(key);
    if (held && held.expiresAt > now) return held.verifier;
    const verifier = readSecret().then((secret) => (secret === undefined ? undefined : this.mac(secret)));
    this.hold(key, { verifier, expiresAt: now + SECRET_VERIFIER_TTL_MS });
    const drop = () => {
      if (this.held.get(key)?.verifier === verifier) this.held.delete(key);
    };
    verifier.then((found) => found === undefined && drop(), drop);
    return verifier;
  }

  private hold(key: string, entry: HeldVerifier): void {
    const now = this.now();
    setBounded(this.held, key, entry, MAX_SECRET_VERIFIERS, (held) => held.expiresAt <= now);
  }

}
