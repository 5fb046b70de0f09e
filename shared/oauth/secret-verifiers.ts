// OAuth client secrets checked without a Secrets Manager read per attempt: a short-lived verifier per client id, an HMAC of the secret, never the secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How long a verifier answers for a client before its secret is read again. A client's secret never
 * changes (new credentials are a new client), and whether the client may still authenticate is decided
 * by its SystemAuth, read on every attempt: this only bounds how long a verifier outlives its secret.
 */
export const SECRET_VERIFIER_TTL_MS = 60_000;

/** Verifiers kept at most: only clients that exist and are ACTIVE get one, but memory stays bounded anyway. */
export const MAX_SECRET_VERIFIERS = 10_000;

interface HeldVerifier {
  /** Undefined when the client has no secret; a pending read is shared by the attempts that arrive meanwhile. */
  verifier: Promise<Buffer | undefined>;
  expiresAt: number;
}

/**
 * Per client id, for SECRET_VERIFIER_TTL_MS, HMAC-SHA256 of its secret under a key drawn at random when
 * this object is made (once per process: the handlers build one) and kept nowhere else. A verifier read
 * from memory is useless without the key, and the key dies with the process. Wrong secrets for a known
 * client then cost one Secrets Manager read per client and period instead of one per attempt.
 */
export class SecretVerifiers {
  private readonly key = randomBytes(32);
  private readonly held = new Map<string, HeldVerifier>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Whether `presented` is the client's secret. `readSecret` runs only when no fresh verifier is held;
   * a read that fails or finds no secret is not remembered, so the next attempt reads again.
   */
  async matches(clientId: string, presented: string, readSecret: () => Promise<string | undefined>): Promise<boolean> {
    const verifier = await this.verifierOf(clientId, readSecret);
    // Both are 32-byte MACs: the comparison's time says nothing about the secret or the presented value.
    return verifier !== undefined && timingSafeEqual(this.mac(presented), verifier);
  }

  /** Drops the client's verifier (it was revoked in this process). */
  forget(clientId: string): void {
    this.held.delete(clientId);
  }

  private mac(secret: string): Buffer {
    return createHmac('sha256', this.key).update(secret, 'utf8').digest();
  }

  private verifierOf(clientId: string, readSecret: () => Promise<string | undefined>): Promise<Buffer | undefined> {
    const now = this.now();
    const held = this.held.get(clientId);
    if (held && held.expiresAt > now) return held.verifier;
    const verifier = readSecret().then((secret) => (secret === undefined ? undefined : this.mac(secret)));
    this.hold(clientId, { verifier, expiresAt: now + SECRET_VERIFIER_TTL_MS });
    const drop = () => {
      if (this.held.get(clientId)?.verifier === verifier) this.held.delete(clientId);
    };
    verifier.then((found) => found === undefined && drop(), drop);
    return verifier;
  }

  private hold(clientId: string, entry: HeldVerifier): void {
    this.held.delete(clientId);
    if (this.held.size >= MAX_SECRET_VERIFIERS) {
      const now = this.now();
      for (const [id, held] of this.held) if (held.expiresAt <= now) this.held.delete(id);
      // Still full of fresh ones: the oldest goes (a Map iterates in insertion order).
      if (this.held.size >= MAX_SECRET_VERIFIERS) this.held.delete(this.held.keys().next().value as string);
    }
    this.held.set(clientId, entry);
  }
}
