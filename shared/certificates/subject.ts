// The certificate subject the Connector announces for a SystemAuth, as text and as the ordered RDN list a CSR must match exactly.
import type { CsrSubjectDefaults } from '../config';

/** Short names of the attributes of an announced subject, with their X.520 OIDs. */
const SUBJECT_ATTRIBUTE_OIDS = {
  O: '2.5.4.10',
  OU: '2.5.4.11',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  C: '2.5.4.6',
  CN: '2.5.4.3',
} as const;

export type SubjectAttributeName = keyof typeof SUBJECT_ATTRIBUTE_OIDS;

const NAME_BY_OID: ReadonlyMap<string, string> = new Map(
  Object.entries(SUBJECT_ATTRIBUTE_OIDS).map(([name, oid]) => [oid, name]),
);

/** One relative distinguished name holding one attribute. */
export interface SubjectRdn {
  /** Dotted OID of the attribute type: the identity used for comparison. */
  readonly oid: string;
  /** Short name (O, OU, L, ST, C, CN) or the dotted OID of an attribute we have no name for. */
  readonly name: string;
  readonly value: string;
}

/** A subject as its RDNs in encoding order (first RDN first), one attribute per RDN. */
export type CertificateSubject = readonly SubjectRdn[];

export function subjectRdn(oid: string, value: string): SubjectRdn {
  return { oid, name: NAME_BY_OID.get(oid) ?? oid, value };
}

/** The subject a CSR for this SystemAuth must carry: O, OU, L, ST, C from configuration, CN = the SystemAuth id. */
export function announcedSubject(systemAuthId: string, defaults: CsrSubjectDefaults): CertificateSubject {
  const values: Record<SubjectAttributeName, string> = {
    O: defaults.organization,
    OU: defaults.organizationalUnit,
    L: defaults.locality,
    ST: defaults.province,
    C: defaults.country,
    CN: systemAuthId,
  };
  return (Object.keys(SUBJECT_ATTRIBUTE_OIDS) as SubjectAttributeName[]).map((name) => subjectRdn(SUBJECT_ATTRIBUTE_OIDS[name], values[name]));
}

// RFC 4514 escaping, so a configured value with a comma cannot change how a client splits the subject.
function escapeValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

/**
 * The subject as the Connector announces it: "O=...,OU=...,L=...,ST=...,C=...,CN=..." in encoding order
 * (the order clients write into their CSR, not RFC 4514's reversed order).
 */
export function formatSubject(subject: CertificateSubject): string {
  return subject.map((rdn) => `${rdn.name}=${escapeValue(rdn.value)}`).join(',');
}

// Values come from untrusted CSRs: keep error messages short.
const shorten = (value: string) => (value.length > 80 ? `${value.slice(0, 80)}...` : value);

/** Why `actual` is not `expected`, in words for the client; undefined when they are the same. */
export function describeSubjectMismatch(actual: CertificateSubject, expected: CertificateSubject): string | undefined {
  const count = (subject: CertificateSubject, oid: string) => subject.filter((rdn) => rdn.oid === oid).length;
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const got = actual[i];
    const want = expected[i];
    if (!got) return `${want!.name} is missing`;
    if (!want) return `unexpected extra attribute ${shorten(got.name)}`;
    if (got.oid !== want.oid) {
      if (count(actual, want.oid) < count(expected, want.oid)) return `${want.name} is missing`;
      if (count(actual, got.oid) > count(expected, got.oid)) return `unexpected extra attribute ${shorten(got.name)}`;
      return `attributes are out of order: position ${i + 1} must be ${want.name}, got ${got.name}`;
    }
    if (got.value !== want.value) return `${want.name} must be "${want.value}", got "${shorten(got.value)}"`;
  }
  return undefined;
}
