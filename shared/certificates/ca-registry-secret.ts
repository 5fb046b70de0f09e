// Reading the pairing CA registry from Secrets Manager, and the trusted CAs parsed from it: what verifiers of client
// certificates need, kept apart from the CA's signing code (ca.ts) so the Director's bundle loads no ASN.1 codec.
import { X509Certificate } from 'node:crypto';
import { config } from '../config';
import { InternalError } from '../errors';
import { readSecret, secretName } from '../aws/secrets';
import { parseRegistry, trustedCas, type CaRegistry } from './ca-registry';

/** The CA registry (JSON, public material only): what the Connector signs with (a key ARN) and what verifiers trust. */
export const CA_REGISTRY_SECRET = 'pairing-ca-registry';

let parsed: { json: string; registry: CaRegistry } | undefined;

/** Reads the registry (re-read when `maxAgeSeconds` is 0); undefined when the stage has none yet. */
export async function readRegistry(maxAgeSeconds?: number): Promise<{ json: string; registry: CaRegistry } | undefined> {
  const json = await readSecret(secretName(CA_REGISTRY_SECRET), maxAgeSeconds);
  if (json === undefined) return undefined;
  // Parsed once per value: callers compare the registry object to know whether what they derived from it is current.
  if (parsed?.json !== json) parsed = { json, registry: parseRegistry(json) };
  return parsed;
}

/** The longest a function instance keeps the CA registry: a retired CA's certificates work at most this long there. */
export const MAX_CA_REGISTRY_AGE_SECONDS = 10;

/**
 * How stale the Connector's and the verifiers' registry may be: MAX_CA_REGISTRY_AGE_SECONDS (or secretCacheSeconds when
 * lower), so a rotation or retirement reaches every warm container within seconds for one GetSecretValue per container
 * and 10 s.
 */
export const caRegistryMaxAgeSeconds = (): number => Math.min(config().secretCacheSeconds, MAX_CA_REGISTRY_AGE_SECONDS);

/** The registry for verifiers and the Connector (readSecret's bounded cache; a cached "absent" is asked again). */
export async function loadCaRegistry(): Promise<CaRegistry> {
  let stored: Awaited<ReturnType<typeof readRegistry>>;
  try {
    stored = (await readRegistry(caRegistryMaxAgeSeconds())) ?? (await readRegistry(0));
  } catch (cause) {
    throw new InternalError('The pairing CA registry is unusable', { cause });
  }
  if (!stored) throw new InternalError(`The pairing certificate authority is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
  return stored.registry;
}

/** The registry read now (no cache): the admin tools and the local mTLS endpoint's truststore. */
export async function loadCaRegistryFresh(): Promise<CaRegistry> {
  const stored = await readRegistry(0);
  if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
  return stored.registry;
}

/** A trusted CA, parsed: what client certificates are checked against. */
export interface TrustedCa {
  id: string;
  certificatePem: string;
  certificate: X509Certificate;
}

let trusted: { registry: CaRegistry; cas: TrustedCa[] } | undefined;

/** The CAs whose certificates are accepted (current first), parsed again only when the registry changed. */
export async function loadTrustedCas(): Promise<TrustedCa[]> {
  const registry = await loadCaRegistry();
  if (trusted?.registry !== registry) {
    const cas = trustedCas(registry).map((ca) => ({ id: ca.id, certificatePem: ca.certificatePem, certificate: new X509Certificate(ca.certificatePem) }));
    trusted = { registry, cas };
  }
  return trusted.cas;
}
