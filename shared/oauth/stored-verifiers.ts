// Client secrets kept as verifiers in their SystemAuth item (CLIENT_SECRET_STORE=verifier): a KMS HMAC of each, never the secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateMacWithKms } from '../aws/kms';
import { setBounded } from '../bounded-map';
import type { Config } from '../config';
import { MAX_LIVE_CLIENT_SECRETS } from '../system-auths/types';
import type { VerifierComparison } from './secret-verifiers';

/** KMS's HMAC-SHA-256 under the stage's HMAC_256 key (shared/aws/kms.ts generateMacWithKms); unit tests hand in their own. */
export type KeyedMac = (message: Buffer) => Promise<Buffer>;

/** How long the KMS MAC of a presented secret is kept in memory: a wrong secret repeated within it costs no KMS call. */
export const PRESENTED_MAC_TTL_MS = 60_000;

/** Presented secrets whose MAC is kept at most. */
const MAX_PRESENTED_MACS = 10_000;

/**
 * Longer presented secrets are not sent to KMS: no secret this service makes is near it (32 bytes, base64url), and KMS
 * takes at most 4096 bytes. Such a secret matches nothing and costs no call.
 */
const MAX_PRESENTED_SECRET_BYTES = 512;

/**
 * What is MACed: the client id with the secret, so that a verifier copied into another client's item matches nothing
 * there. Secrets are base64url and client ids UUIDs, so the separator cannot be forged.
 */
const macMessage = (clientId: string, secret: string): Buffer => Buffer.from(`oauth-client-secret:v1:${clientId}:${secret}`, 'utf8');

interface HeldMac {
  mac: Promise<Buffer | undefined>;
  expiresAt: number;
}

/** One live secret of a client as authentication sees it: its id and, once made or migrated, its stored verifier. */
export interface VerifierSlot {
  id: string;
  verifier?: Uint8Array;
}

/**
 * Verifiers under a non-exportable KMS HMAC key, one per stage: a copy of the table alone lets nobody authenticate
 * (the verifier is not the secret) or recover a secret (256 random bits under a key nobody can read). Checking a
 * presented secret costs one GenerateMac, whatever number of live secrets the client has (the MAC is compared here,
 * in constant time, with each stored verifier); the MAC of what was presented is kept PRESENTED_MAC_TTL_MS under a
 * per-process HMAC of it, so a secret, right or wrong, presented again within a minute costs no KMS call.
 */
export class StoredSecretVerifiers {
  /** Names a presented secret in memory without holding it: drawn once per process, kept nowhere else. */
  private readonly localKey = randomBytes(32);
  private readonly held = new Map<string, HeldMac>();
  /** What an empty slot is compared with: no KMS MAC equals it but with chance 2^-256. */
  private readonly nothing = randomBytes(32);

  constructor(
    private readonly mac: KeyedMac,
    private readonly now: () => number = Date.now,
    private readonly compare: VerifierComparison = (a, b) => timingSafeEqual(a, b),
  ) {}

  /** The verifier a new secret of the client is stored with. */
  async verifierOf(clientId: string, secret: string): Promise<Buffer> {
    return this.mac(macMessage(clientId, secret));
  }

  /**
   * The id of the slot whose verifier `presented` matches, or undefined. Always MAX_LIVE_CLIENT_SECRETS comparisons of
   * 32 bytes, whatever matched and however many slots have a verifier. A KMS failure is thrown (and not remembered).
   */
  async matchingSecret(clientId: string, presented: string, slots: readonly VerifierSlot[]): Promise<string | undefined> {
    const mac = (await this.presentedMac(clientId, presented)) ?? this.nothing;
    const compared = slots.slice(0, MAX_LIVE_CLIENT_SECRETS);
    let matched: string | undefined;
    for (let slot = 0; slot < MAX_LIVE_CLIENT_SECRETS; slot += 1) {
      const stored = compared[slot]?.verifier;
      const usable = stored !== undefined && stored.length === mac.length;
      const matches = this.compare(mac, usable ? Buffer.from(stored) : this.nothing);
      if (matches && usable) matched = compared[slot].id;
    }
    return matched;
  }

  private presentedMac(clientId: string, presented: string): Promise<Buffer | undefined> {
    if (Buffer.byteLength(presented, 'utf8') > MAX_PRESENTED_SECRET_BYTES) return Promise.resolve(undefined);
    const key = `${clientId}/${createHmac('sha256', this.localKey).update(presented, 'utf8').digest('base64url')}`;
    const now = this.now();
    const held = this.held.get(key);
    if (held && held.expiresAt > now) return held.mac;
    const mac = this.mac(macMessage(clientId, presented)).then((value): Buffer | undefined => value);
    setBounded(this.held, key, { mac, expiresAt: now + PRESENTED_MAC_TTL_MS }, MAX_PRESENTED_MACS, (entry) => entry.expiresAt <= now);
    mac.catch(() => {
      if (this.held.get(key)?.mac === mac) this.held.delete(key);
    });
    return mac;
  }
}

/** The stored verifiers of a stage that keeps them (CLIENT_SECRET_STORE=verifier), under its KMS key; undefined for one that does not. */
export function storedVerifiersOf(settings: Pick<Config, 'clientSecretStore' | 'clientSecretMacKey'>): StoredSecretVerifiers | undefined {
  if (settings.clientSecretStore !== 'verifier') return undefined;
  const keyId = settings.clientSecretMacKey;
  return new StoredSecretVerifiers((message) => generateMacWithKms(keyId, message));
}
