// A certificate record as an item of the SystemAuths table ("CERT#<sha256 fingerprint>" beside its SystemAuth): its
// fields, keys and TTL, the two counters that bound a SystemAuth's certificates and what each counts, and the lineage rule.
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { LIVE_CERTIFICATES_QUOTA, UNEXPIRED_CERTIFICATES_QUOTA } from '../quotas';
import { DAY_SECONDS } from '../time';
import { applicationKey } from './items';

/** A certificate item as the document client reads and writes it. */
export type Item = Record<string, NativeAttributeValue>;

export const CERTIFICATE_SORT_KEY_PREFIX = 'CERT#';

/** One issued client certificate, as the Director lists it under its SystemAuth. */
export interface CertificateRecord {
  /** The SystemAuth the certificate belongs to (= the certificate's CN). */
  systemAuthId: string;
  tenant: string;
  appId: string;
  /** Hex, as the CA assigned it. */
  serialNumber: string;
  /** Hex SHA-256 of the certificate DER. */
  sha256Fingerprint: string;
  /** "O=...,OU=...,L=...,ST=...,C=...,CN=<systemAuthId>". */
  subject: string;
  /** RFC 3339. */
  notBefore: string;
  /** RFC 3339. */
  notAfter: string;
  revoked: boolean;
  /**
   * The fingerprint of the certificate this one was renewed with (the client certificate that called
   * signCertificateSigningRequest over mTLS); absent for the certificate bought with a one-time token.
   */
  renewedFrom?: string;
  /** The registry id of the CA that issued it (shared/certificates/ca-registry.ts); absent on records from before CA rotation (ca-1's). */
  caId?: string;
}

export const certificateSortKey = (sha256Fingerprint: string): string => `${CERTIFICATE_SORT_KEY_PREFIX}${sha256Fingerprint}`;

/**
 * Sort keys of a SystemAuth's two certificate counters, `{id: <systemAuthId>, sk: <below>, count, expiresAt}`: its live
 * certificates (MAX_LIVE_CERTIFICATES) and its unexpired ones, revoked included (MAX_UNEXPIRED_CERTIFICATES). Not
 * "AUTH" and not "CERT#...": no read of a SystemAuth or of its certificates finds them; no appKey, so the byApplication
 * index never holds them.
 */
export const LIVE_CERTIFICATES_SORT_KEY = 'LIVE_CERTIFICATES';
export const UNEXPIRED_CERTIFICATES_SORT_KEY = 'UNEXPIRED_CERTIFICATES';

/** The SystemAuths table's DynamoDB TTL attribute (epoch seconds), on certificate records and counters. */
const EXPIRES_AT_ATTRIBUTE = 'expiresAt';

/**
 * When DynamoDB's TTL may remove the record of a certificate: CERTIFICATE_RECORD_RETENTION_DAYS after the certificate
 * expires, revoked or not. Until it expires the record is what says whether it is revoked (certificate authentication
 * refuses a certificate without a record, and an expired one before looking), what revoking its lineage walks through,
 * and what retire-ca counts as live; after it, only the Director's listing shows it, for the retention period.
 */
export function recordExpiresAt(notAfter: string, retentionDays: number): number {
  return Math.ceil(Date.parse(notAfter) / 1000) + retentionDays * DAY_SECONDS;
}

/** Unexpired at `now`, revoked or not: what UNEXPIRED_CERTIFICATES_QUOTA counts. */
const isUnexpired = (record: CertificateRecord, now: Date): boolean => Date.parse(record.notAfter) > now.getTime();

/** Unexpired at `now` and not revoked: what LIVE_CERTIFICATES_QUOTA counts. */
const isLive = (record: CertificateRecord, now: Date): boolean => !record.revoked && isUnexpired(record, now);

/**
 * The two bounds of one SystemAuth's certificates, each a counter item and the rule it counts. Live certificates bound
 * what the application may use at once; unexpired ones bound the records a renew-and-revoke loop leaves behind
 * (revoked records stay until their certificate expires: see recordExpiresAt).
 */
export const CERTIFICATE_COUNTERS = {
  live: { sortKey: LIVE_CERTIFICATES_SORT_KEY, quota: LIVE_CERTIFICATES_QUOTA, counts: isLive },
  unexpired: { sortKey: UNEXPIRED_CERTIFICATES_SORT_KEY, quota: UNEXPIRED_CERTIFICATES_QUOTA, counts: isUnexpired },
} as const;
export type CertificateCounter = keyof typeof CERTIFICATE_COUNTERS;
export const COUNTER_NAMES = Object.keys(CERTIFICATE_COUNTERS) as CertificateCounter[];

/** The transaction item name of a counter's slot (what a TransactionCancelledError reports). */
export const certificateSlotItem = (counter: CertificateCounter): string => `${counter}CertificatesSlot`;

export function toItem(record: CertificateRecord, retentionDays: number): Item {
  const { systemAuthId, ...rest } = record;
  // appKey puts the certificate into the byApplication index too, beside its SystemAuth.
  return {
    id: systemAuthId,
    sk: certificateSortKey(record.sha256Fingerprint),
    appKey: applicationKey(record.tenant, record.appId),
    ...rest,
    [EXPIRES_AT_ATTRIBUTE]: recordExpiresAt(record.notAfter, retentionDays),
  };
}

export function fromItem(item: Item): CertificateRecord {
  return {
    systemAuthId: item.id,
    tenant: item.tenant,
    appId: item.appId,
    serialNumber: item.serialNumber,
    sha256Fingerprint: item.sha256Fingerprint,
    subject: item.subject,
    notBefore: item.notBefore,
    notAfter: item.notAfter,
    revoked: item.revoked === true,
    ...(typeof item.renewedFrom === 'string' ? { renewedFrom: item.renewedFrom } : {}),
    ...(typeof item.caId === 'string' ? { caId: item.caId } : {}),
  };
}

/**
 * The certificates renewed from `root`, directly or through others, found in `records` (all of one
 * SystemAuth): what revoking `root` must revoke too, since whoever held `root` could have made them.
 */
export function descendantsOf(root: string, records: readonly CertificateRecord[], keep?: string): CertificateRecord[] {
  const children = new Map<string, CertificateRecord[]>();
  for (const record of records) {
    if (record.renewedFrom === undefined) continue;
    children.set(record.renewedFrom, [...(children.get(record.renewedFrom) ?? []), record]);
  }
  const found: CertificateRecord[] = [];
  const seen = new Set([root]);
  const pending = [root];
  while (pending.length > 0) {
    for (const child of children.get(pending.pop()!) ?? []) {
      // `keep` and what was renewed from it stay out.
      if (seen.has(child.sha256Fingerprint) || child.sha256Fingerprint === keep) continue;
      seen.add(child.sha256Fingerprint);
      found.push(child);
      pending.push(child.sha256Fingerprint);
    }
  }
  return found;
}
