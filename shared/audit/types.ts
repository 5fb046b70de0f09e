// The audit trail's words: what an event is, who acted, on what, with which outcome. Nothing secret fits in it.

/** Every action the audit trail records. */
const AUDIT_ACTIONS = [
  'APPLICATION_REGISTERED',
  'APPLICATION_UPDATED',
  'APPLICATION_UNREGISTERED',
  'APPLICATION_UNPAIRED',
  'PAIRING_DATA_GENERATED',
  'CLIENT_CREDENTIALS_ISSUED',
  'CLIENT_SECRET_ROTATED',
  'CLIENT_SECRET_REVOKED',
  'CLIENT_CREDENTIALS_REVOKED',
  'ONE_TIME_TOKEN_ISSUED',
  'ONE_TIME_TOKEN_REDEEMED',
  'ONE_TIME_TOKEN_REFUSED',
  'CSR_REFUSED',
  'CERTIFICATE_ISSUED',
  'CERTIFICATE_RENEWED',
  'CERTIFICATE_REVOKED',
  'SYSTEM_AUTH_REVOKED',
  'ACCESS_TOKEN_GRANTED',
  'CLIENT_AUTHENTICATION_REFUSED',
  'ADMINISTRATOR_CREATED',
  'ADMINISTRATOR_REVOKED',
  'CA_ROTATED',
  'CA_ACTIVATED',
  'CA_RETIRED',
  'SIGNING_KEY_ROTATED',
  'CLIENT_SECRETS_MIGRATED',
  'PUBLIC_KEY_ADDED',
  'PUBLIC_KEY_REMOVED',
  'PAIRING_ADAPTER_NOTIFIED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const AUDIT_OUTCOMES = ['SUCCESS', 'REFUSED', 'FAILED'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Who acted. ADMINISTRATOR: an administrator's OAuth client id. APPLICATION: the application's SystemAuth id, with
 * how it authenticated (a one-time token, an OAuth client, or a certificate, whose fingerprint is given). CLI: the
 * admin CLI run by an operator. UNAUTHENTICATED: a refused caller, with the client id it claimed when it named one.
 */
export type AuditActor =
  | { kind: 'ADMINISTRATOR'; id: string }
  | { kind: 'APPLICATION'; id: string; via: 'ONE_TIME_TOKEN' | 'OAUTH' | 'CERTIFICATE'; certificateFingerprint?: string }
  | { kind: 'CLI' }
  | { kind: 'UNAUTHENTICATED'; id?: string };

/** What was acted on: any of an application, a SystemAuth, a certificate (serial and fingerprint). */
export interface AuditTarget {
  applicationId?: string;
  systemAuthId?: string;
  certificateSerial?: string;
  certificateFingerprint?: string;
}

/** Why a one-time token was refused at the Connector. */
export type OneTimeTokenRefusal = 'UNKNOWN' | 'EXPIRED' | 'SPENT' | 'WRONG_PURPOSE';

/** Why a client's credentials were refused: an OAuth client secret, an access token of a changed client, or a client certificate. */
export type ClientAuthenticationRefusal =
  | 'MALFORMED_CLIENT_ID'
  | 'UNKNOWN_CLIENT'
  | 'WRONG_SECRET'
  | 'INVALID_ASSERTION'
  | 'REPLAYED_ASSERTION'
  | 'NOT_ACTIVE'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'UNKNOWN_CERTIFICATE'
  | 'GONE'
  | 'MISMATCH'
  | 'MALFORMED_CERTIFICATE';

/** The rule a CSR broke (shared/certificates/csr.ts), or the SystemAuth's certificate limit. */
export type CsrRule = 'CERTIFICATE_LIMIT' | 'NOT_PKCS10' | 'ENCODING' | 'PROOF_OF_POSSESSION' | 'SIGNATURE_ALGORITHM' | 'KEY' | 'SUBJECT';

/** A refusal's code, set where the refusal is thrown: metrics break refusals down by it; the reason's words may change freely. */
export type RefusalCode = OneTimeTokenRefusal | ClientAuthenticationRefusal | CsrRule;

/** A small, flat object of facts: ids, types, reasons, dates. Never a secret, token, key, CSR or header. */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

/** The request an event came from, as API Gateway saw it. */
export interface AuditRequestFacts {
  requestId?: string;
  sourceIp?: string;
  userAgent?: string;
}

/**
 * The audit trail of one request, recording on behalf of its caller in the caller's tenant: what follows from a change
 * the caller asked for (an outside pairing adapter that could not be told of a deletion) names that caller as actor.
 */
export interface CallerTrail {
  record(event: Omit<AuditEventInput, 'tenant' | 'actor'>): Promise<void>;
}

/** What a caller states about an event; the trail adds id, time, request facts and the retention. */
export interface AuditEventInput {
  /**
   * The tenant whose trail holds the event. A refusal that names no tenant (an unknown token or client id)
   * goes to UNATTRIBUTED_TENANT, which no administrator can read.
   */
  tenant: string;
  action: AuditAction;
  outcome: AuditOutcome;
  actor: AuditActor;
  target?: AuditTarget;
  /** For REFUSED and FAILED: why, in a few words (e.g. "wrong secret", "expired"). Repeats are aggregated by it. */
  reason?: string;
  /** For refusals: the reason's code, from the error that refused (metrics read it, never the words). */
  reasonCode?: RefusalCode;
  details?: AuditDetails;
}

export interface AuditEvent extends Required<Pick<AuditEventInput, 'tenant' | 'action' | 'outcome' | 'actor'>>, AuditRequestFacts {
  id: string;
  /** ISO 8601, milliseconds. */
  time: string;
  target: AuditTarget;
  reason?: string;
  reasonCode?: RefusalCode;
  details: AuditDetails;
  /** How many occurrences the event stands for: 1, or more for aggregated refusals (see AuditRecorder.refused). */
  count: number;
}

/** The trail of refusals that cannot be attributed to a tenant. Tenants are letters, digits, ".", "_", "-": no "#". */
export const UNATTRIBUTED_TENANT = '#unattributed';

/**
 * The trail of the stage's own keys (CA and token-signing rotations and retirements by the admin CLI): no tenant's,
 * so no tenant's administrator reads it through the Director; an operator queries the audit table's `#platform` partition.
 */
export const PLATFORM_TENANT = '#platform';

/** What the Director filters by. */
export interface AuditEventFilter {
  applicationId?: string;
  actions?: AuditAction[];
  outcomes?: AuditOutcome[];
  /** ISO 8601 bounds, inclusive. */
  from?: string;
  to?: string;
}

export interface AuditEventPage {
  data: AuditEvent[];
  /** Resolved only when the client selects it: a COUNT read of bounded size (see totalCountExact). */
  totalCount: () => Promise<number>;
  /** False when the count's read budget ended first: totalCount is then a lower bound. */
  totalCountExact: () => Promise<boolean>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const DEFAULT_AUDIT_PAGE_SIZE = 50;
export const MAX_AUDIT_PAGE_SIZE = 200;
