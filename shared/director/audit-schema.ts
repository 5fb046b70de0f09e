// The Director SDL's audit part (an extension of the contract): the types of Query.auditEvents and
// Application.auditEvents, appended to the rest of the SDL in schema.ts.
export const auditSdl = `# Extension. The audit trail: one event per state change and per refused credential. Never a secret, token,
# private key, CSR or Authorization header.
# A page reads at most a few hundred events: with a filter that matches rarely, it may come back with fewer events
# than asked for (even none) and hasNextPage true; follow endCursor to read on.
type AuditEventPage {
  data: [AuditEvent!]!
  totalCount: Int!
  # Extension. False when counting stopped at its read budget (tens of thousands of events): totalCount is then a
  # lower bound; narrow the filter (from/to, applicationId) for an exact count.
  totalCountExact: Boolean!
  pageInfo: PageInfo!
}

type AuditEvent {
  id: ID!
  time: Timestamp!
  action: AuditAction!
  outcome: AuditOutcome!
  actor: AuditActor!
  target: AuditTarget!
  # Why a REFUSED or FAILED event happened (e.g. "wrong secret", "expired").
  reason: String
  # How many occurrences the event stands for: more than 1 for aggregated repeats of one refusal within a minute.
  count: Int!
  requestId: String
  sourceIp: String
  userAgent: String
  # A small object of facts (types, ids, serials, fingerprints, dates).
  details: JSON!
}

type AuditActor {
  kind: AuditActorKind!
  # ADMINISTRATOR: client id; APPLICATION: SystemAuth id; UNAUTHENTICATED: the client id it claimed, if any; CLI: null.
  id: String
  # APPLICATION: how it authenticated.
  via: AuditActorVia
  certificateFingerprint: String
}

enum AuditActorKind {
  ADMINISTRATOR
  APPLICATION
  CLI
  UNAUTHENTICATED
}

enum AuditActorVia {
  ONE_TIME_TOKEN
  OAUTH
  CERTIFICATE
}

type AuditTarget {
  applicationId: ID
  systemAuthId: ID
  certificateSerial: String
  certificateFingerprint: String
}

enum AuditOutcome {
  SUCCESS
  REFUSED
  FAILED
}

enum AuditAction {
  APPLICATION_REGISTERED
  APPLICATION_UPDATED
  APPLICATION_UNREGISTERED
  APPLICATION_UNPAIRED
  PAIRING_DATA_GENERATED
  CLIENT_CREDENTIALS_ISSUED
  CLIENT_SECRET_ROTATED
  CLIENT_SECRET_REVOKED
  CLIENT_CREDENTIALS_REVOKED
  ONE_TIME_TOKEN_ISSUED
  ONE_TIME_TOKEN_REDEEMED
  ONE_TIME_TOKEN_REFUSED
  CSR_REFUSED
  CERTIFICATE_ISSUED
  CERTIFICATE_RENEWED
  CERTIFICATE_REVOKED
  SYSTEM_AUTH_REVOKED
  ACCESS_TOKEN_GRANTED
  CLIENT_AUTHENTICATION_REFUSED
  ADMINISTRATOR_CREATED
  ADMINISTRATOR_REVOKED
  CA_ROTATED
  CA_ACTIVATED
  CA_RETIRED
  SIGNING_KEY_ROTATED
  CLIENT_SECRETS_MIGRATED
  PUBLIC_KEY_ADDED
  PUBLIC_KEY_REMOVED
  # Extension. An outside pairing adapter could not be told of a deletion (FAILED, after its retries): details name
  # the adapter, its reference and why.
  PAIRING_ADAPTER_NOTIFIED
}

input AuditEventFilter {
  applicationId: ID
  actions: [AuditAction!]
  outcomes: [AuditOutcome!]
  # Inclusive bounds, RFC 3339.
  from: Timestamp
  to: Timestamp
}
`;
