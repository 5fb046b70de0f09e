// The CA registry: which pairing CAs exist, which one issues (current) and which ones are still trusted. Public
// material only (certificates, KMS key ARNs): the keys stay in KMS. Pure rules here; ca.ts stores it in Secrets Manager.
import { X509Certificate } from 'node:crypto';

/**
 * current: issues new certificates (exactly one); pending: trusted, issues nothing yet (rotate-ca --pending, made
 * current by activate-ca once the truststore holds it; at most one); previous: trusted, issues nothing any more;
 * retired: trusted no more.
 */
export type CaStatus = 'current' | 'pending' | 'previous' | 'retired';

export interface CaEntry {
  /** `ca-<generation>`: ca-1 is the stage's first CA (the one certificate records without a caId belong to). */
  id: string;
  /** The KMS key that signs for this CA; null for a CA migrated from a private key in Secrets Manager (it signs nothing any more). */
  keyArn: string | null;
  certificatePem: string;
  /** RFC 3339. */
  createdAt: string;
  status: CaStatus;
  /** RFC 3339, set when retired. */
  retiredAt?: string;
}

export interface CaRegistry {
  version: 1;
  /** Oldest first. */
  cas: CaEntry[];
}

/** The CA every certificate record without a caId belongs to (records written before CA rotation existed). */
export const FIRST_CA_ID = 'ca-1';

/** A registry that breaks the rules (parse, rotate, retire): the message names what is wrong. */
export class CaRegistryError extends Error {
  override readonly name = 'CaRegistryError';
}

const CA_ID = /^ca-([1-9][0-9]{0,5})$/;
const STATUSES: readonly CaStatus[] = ['current', 'pending', 'previous', 'retired'];
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The generation number of a CA id, or undefined when `id` is not of the form ca-<n>. */
export function caGeneration(id: string): number | undefined {
  const match = CA_ID.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** The id the next CA gets: one generation above every CA the registry ever had. */
export function nextCaId(registry: CaRegistry): string {
  const highest = Math.max(0, ...registry.cas.map((ca) => caGeneration(ca.id) ?? 0));
  return `ca-${highest + 1}`;
}

/** Checks the registry's invariants: unique well-formed ids, exactly one current CA, which has a KMS key, certificates that are CA certificates. */
function validateRegistry(registry: CaRegistry): CaRegistry {
  const ids = new Set<string>();
  for (const ca of registry.cas) {
    if (caGeneration(ca.id) === undefined) throw new CaRegistryError(`CA id "${ca.id}" is not of the form ca-<number>`);
    if (ids.has(ca.id)) throw new CaRegistryError(`CA id "${ca.id}" appears twice`);
    ids.add(ca.id);
    if (!STATUSES.includes(ca.status)) throw new CaRegistryError(`CA ${ca.id} has an unknown status "${String(ca.status)}"`);
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(ca.certificatePem);
    } catch {
      throw new CaRegistryError(`CA ${ca.id}: certificatePem is not a PEM certificate`);
    }
    if (!certificate.ca) throw new CaRegistryError(`CA ${ca.id}: the certificate is not a CA certificate`);
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new CaRegistryError(`CA ${ca.id}: the certificate's key is not RSA`);
  }
  const current = registry.cas.filter((ca) => ca.status === 'current');
  if (current.length !== 1) throw new CaRegistryError(`the registry must have exactly one current CA, it has ${current.length}`);
  if (!current[0]!.keyArn) throw new CaRegistryError(`the current CA ${current[0]!.id} has no KMS key: it could not sign`);
  const pending = registry.cas.filter((ca) => ca.status === 'pending');
  if (pending.length > 1) throw new CaRegistryError(`the registry may have at most one pending CA, it has ${pending.length}`);
  if (pending[0] && !pending[0].keyArn) throw new CaRegistryError(`the pending CA ${pending[0].id} has no KMS key: it could not sign`);
  return registry;
}

/** Parses and validates the registry's JSON (the secret's value). */
export function parseRegistry(json: string): CaRegistry {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new CaRegistryError('the CA registry is not JSON');
  }
  if (!isObject(value) || value.version !== 1 || !Array.isArray(value.cas)) throw new CaRegistryError('the CA registry is not {version: 1, cas: [...]}');
  const cas = value.cas.map((entry: unknown, index): CaEntry => {
    if (!isObject(entry)) throw new CaRegistryError(`CA registry entry ${index} is not an object`);
    const { id, keyArn, certificatePem, createdAt, status, retiredAt } = entry;
    if (typeof id !== 'string' || typeof certificatePem !== 'string' || typeof createdAt !== 'string' || typeof status !== 'string') {
      throw new CaRegistryError(`CA registry entry ${index} lacks id, certificatePem, createdAt or status`);
    }
    if (keyArn !== null && typeof keyArn !== 'string') throw new CaRegistryError(`CA registry entry ${index}: keyArn must be a string or null`);
    if (retiredAt !== undefined && typeof retiredAt !== 'string') throw new CaRegistryError(`CA registry entry ${index}: retiredAt must be a string`);
    return { id, keyArn, certificatePem, createdAt, status: status as CaStatus, ...(retiredAt !== undefined ? { retiredAt } : {}) };
  });
  return validateRegistry({ version: 1, cas });
}

export const serializeRegistry = (registry: CaRegistry): string => JSON.stringify(validateRegistry(registry));

/** The CA that issues new certificates. */
export function currentCa(registry: CaRegistry): CaEntry {
  return registry.cas.find((ca) => ca.status === 'current')!;
}

/** The pending CA (trusted, about to become current), if there is one. */
export const pendingCa = (registry: CaRegistry): CaEntry | undefined => registry.cas.find((ca) => ca.status === 'pending');

/** The CAs whose certificates are accepted (the truststore): every CA not retired, current first, then pending. */
export function trustedCas(registry: CaRegistry): CaEntry[] {
  const pending = pendingCa(registry);
  return [currentCa(registry), ...(pending ? [pending] : []), ...registry.cas.filter((ca) => ca.status === 'previous')];
}

/** The CA with this id, or undefined. */
const findCa = (registry: CaRegistry, id: string): CaEntry | undefined => registry.cas.find((ca) => ca.id === id);

/** A new registry: the first KMS CA current, preceded by a migrated CA (no key, previous) when the stage had one. */
export function initialRegistry(first: { keyArn: string; certificatePem: string }, now: Date, migrated?: { certificatePem: string }): CaRegistry {
  const createdAt = now.toISOString();
  const cas: CaEntry[] = [];
  if (migrated) cas.push({ id: FIRST_CA_ID, keyArn: null, certificatePem: migrated.certificatePem, createdAt, status: 'previous' });
  cas.push({ id: `ca-${cas.length + 1}`, keyArn: first.keyArn, certificatePem: first.certificatePem, createdAt, status: 'current' });
  return validateRegistry({ version: 1, cas });
}

/**
 * The registry after a rotation: `next` (id from nextCaId) becomes current and the current CA previous; or, with
 * `pending`, `next` is only added as pending (trusted, not issuing) until withActivated. A pending CA refuses another.
 */
export function withRotation(registry: CaRegistry, next: { id: string; keyArn: string; certificatePem: string }, now: Date, options: { pending?: boolean } = {}): CaRegistry {
  if (findCa(registry, next.id)) throw new CaRegistryError(`CA id "${next.id}" is taken`);
  const waiting = pendingCa(registry);
  if (waiting) throw new CaRegistryError(`CA ${waiting.id} is pending: activate it (activate-ca --id ${waiting.id}) before rotating again`);
  const entry: CaEntry = { id: next.id, keyArn: next.keyArn, certificatePem: next.certificatePem, createdAt: now.toISOString(), status: options.pending ? 'pending' : 'current' };
  const cas = options.pending ? [...registry.cas] : registry.cas.map((ca): CaEntry => (ca.status === 'current' ? { ...ca, status: 'previous' } : ca));
  cas.push(entry);
  return validateRegistry({ version: 1, cas });
}

/** The registry with the pending CA `id` current and the current CA previous (activate-ca). */
export function withActivated(registry: CaRegistry, id: string): CaRegistry {
  const ca = findCa(registry, id);
  if (!ca) throw new CaRegistryError(`there is no CA "${id}" (known: ${registry.cas.map((entry) => entry.id).join(', ')})`);
  if (ca.status !== 'pending') throw new CaRegistryError(`CA ${id} is ${ca.status}, not pending: only a CA added by rotate-ca --pending is activated`);
  const cas = registry.cas.map((entry): CaEntry => {
    if (entry.id === id) return { ...entry, status: 'current' };
    return entry.status === 'current' ? { ...entry, status: 'previous' } : entry;
  });
  return validateRegistry({ version: 1, cas });
}

/** The registry with CA `id` retired (out of the truststore). The current CA is never retired; retiring twice is refused. */
export function withRetired(registry: CaRegistry, id: string, now: Date): CaRegistry {
  const ca = findCa(registry, id);
  if (!ca) throw new CaRegistryError(`there is no CA "${id}" (known: ${registry.cas.map((entry) => entry.id).join(', ')})`);
  if (ca.status === 'current') throw new CaRegistryError(`CA ${id} is the current CA: rotate first (rotate-ca), then retire it`);
  if (ca.status === 'pending') throw new CaRegistryError(`CA ${id} is pending: activate it or leave it; retiring applies to previous CAs`);
  if (ca.status === 'retired') throw new CaRegistryError(`CA ${id} is already retired`);
  const cas = registry.cas.map((entry): CaEntry => (entry.id === id ? { ...entry, status: 'retired', retiredAt: now.toISOString() } : entry));
  return validateRegistry({ version: 1, cas });
}

/** Whether a certificate record belongs to CA `id` (by its caId; a record without one belongs to the first CA). */
export const recordBelongsTo = (recordCaId: string | undefined, id: string): boolean => (recordCaId ?? FIRST_CA_ID) === id;
