// Reading the pairing CA registry from Secrets Manager, and the trusted CAs parsed from it: what verifiers of client
// certificates need, kept apart from the CA's signing code (ca.ts) so the Director's bundle loads no ASN.1 codec.
import { X509Certificate } from 'node:crypto';
import type { Config } from '../config';
import { InternalError } from '../errors';
import type { SecretStore } from '../aws/secrets';
import { parseRegistry, trustedCas, type CaRegistry } from './ca-registry';

/** The CA registry (JSON, public material only): what the Connector signs with (a key ARN) and what verifiers trust. */
export const CA_REGISTRY_SECRET = 'pairing-ca-registry';

/** The longest a function instance keeps the CA registry: a retired CA's certificates work at most this long there. */
export const MAX_CA_REGISTRY_AGE_SECONDS = 10;

/**
 * How stale the Connector's and the verifiers' registry may be: MAX_CA_REGISTRY_AGE_SECONDS (or secretCacheSeconds when
 * lower), so a rotation or retirement reaches every warm container within seconds for one GetSecretValue per container
 * and 10 s.
 */
export const caRegistryMaxAgeSeconds = (secretCacheSeconds: number): number => Math.min(secretCacheSeconds, MAX_CA_REGISTRY_AGE_SECONDS);

/** A trusted CA, parsed: what client certificates are checked against. */
export interface TrustedCa {
  id: string;
  certificatePem: string;
  certificate: X509Certificate;
}

/** A registry as stored: its JSON and the registry parsed from it. */
export interface StoredCaRegistry {
  json: string;
  registry: CaRegistry;
}

/**
 * The registry in the stage's secret, with what is derived from it kept per value: one per composition root, so its
 * caches are that container's. Callers compare the registry object to know whether what they derived is current.
 */
export class CaRegistryStore {
  #parsed: StoredCaRegistry | undefined;
  #trusted: { registry: CaRegistry; cas: TrustedCa[] } | undefined;

  constructor(
    private readonly secrets: Pick<SecretStore, 'read'>,
    private readonly settings: () => Pick<Config, 'secretCacheSeconds'>,
  ) {}

  /** Reads the registry (re-read when `maxAgeSeconds` is 0); undefined when the stage has none yet. */
  async read(maxAgeSeconds?: number): Promise<StoredCaRegistry | undefined> {
    const json = await this.secrets.read(CA_REGISTRY_SECRET, maxAgeSeconds);
    if (json === undefined) return undefined;
    // Parsed once per value.
    if (this.#parsed?.json !== json) this.#parsed = { json, registry: parseRegistry(json) };
    return this.#parsed;
  }

  /** The registry for verifiers and the Connector (the store's bounded cache; a cached "absent" is asked again). */
  async load(): Promise<CaRegistry> {
    let stored: StoredCaRegistry | undefined;
    try {
      stored = (await this.read(caRegistryMaxAgeSeconds(this.settings().secretCacheSeconds))) ?? (await this.read(0));
    } catch (cause) {
      throw new InternalError('The pairing CA registry is unusable', { cause });
    }
    if (!stored) throw new InternalError(`The pairing certificate authority is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
    return stored.registry;
  }

  /** The registry read now (no cache): the admin tools, the CRL builder and the local mTLS endpoint's truststore. */
  async loadFresh(): Promise<CaRegistry> {
    const stored = await this.read(0);
    if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
    return stored.registry;
  }

  /** The CAs whose certificates are accepted (current first), parsed again only when the registry changed. */
  async trustedCas(): Promise<TrustedCa[]> {
    const registry = await this.load();
    if (this.#trusted?.registry !== registry) {
      const cas = trustedCas(registry).map((ca) => ({ id: ca.id, certificatePem: ca.certificatePem, certificate: new X509Certificate(ca.certificatePem) }));
      this.#trusted = { registry, cas };
    }
    return this.#trusted.cas;
  }
}
