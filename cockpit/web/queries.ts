// The Director operations Cockpit runs (spec/director.graphql) and the shapes of their answers.

export type ApplicationCondition = 'INITIAL' | 'CONNECTED' | 'FAILED';
export type SystemAuthStatus = 'PENDING' | 'ACTIVE' | 'REVOKED' | 'EXPIRED';

export interface ApplicationSummary {
  id: string;
  name: string;
  status: { condition: ApplicationCondition };
  createdAt: string;
  auths: { id: string }[];
}

export interface ApplicationPage {
  applications: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    data: ApplicationSummary[];
  };
}

export const LIST_APPLICATIONS = `query Applications($first: Int!, $after: String) {
  applications(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    data { id name status { condition } createdAt auths { id } }
  }
}`;

export interface IssuedCertificate {
  serialNumber: string;
  sha256Fingerprint: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  revoked: boolean;
  /** The sha256Fingerprint of the certificate this one was renewed with; null for the first one. */
  renewedFrom: string | null;
}

/** The words the Director serves for a pairing type (AuthType.presentation, AppSystemAuth.presentation): the page names no type itself. */
export interface Presentation {
  label: string;
  credentialNoun: string;
  revocationEffect: string;
  pendingHint: string | null;
  handoverWarning: string | null;
  params: { name: string; label: string }[];
  inputParams: { name: string; label: string }[];
}

const PRESENTATION = 'presentation { label credentialNoun revocationEffect pendingHint handoverWarning params { name label } inputParams { name label } }';

export interface SystemAuth {
  id: string;
  type: string;
  presentation: Presentation;
  status: SystemAuthStatus;
  createdAt: string;
  lastUsedAt: string | null;
  clientId: string | null;
  tokenUrl: string | null;
  scopes: string[] | null;
  /** Credentials of a pairing adapter outside the service: the adapter that made it and its own (non-secret) reference. */
  pairingAdapter: string | null;
  adapterReference: string | null;
  certificates: IssuedCertificate[] | null;
  /** OAuth clients only: their live secrets (at most two), never a value. */
  secrets: ClientSecretInfo[] | null;
}

export interface ClientSecretInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** The answer of rotateClientSecret: the new secret's value, shown once. */
export interface ClientSecret {
  id: string;
  clientSecret: string;
  createdAt: string;
}

export interface ApplicationDetail {
  id: string;
  name: string;
  description: string | null;
  providerName: string | null;
  baseUrl: string | null;
  labels: Record<string, string | string[]> | null;
  status: { condition: ApplicationCondition; timestamp: string };
  createdAt: string;
  updatedAt: string;
  auths: SystemAuth[];
}

export const GET_APPLICATION = `query Application($id: ID!) {
  application(id: $id) {
    id name description providerName baseUrl labels
    status { condition timestamp }
    createdAt updatedAt
    auths {
      id type status createdAt lastUsedAt clientId tokenUrl scopes pairingAdapter adapterReference ${PRESENTATION}
      certificates { serialNumber sha256Fingerprint subject notBefore notAfter revoked renewedFrom }
      secrets { id createdAt lastUsedAt }
    }
  }
}`;

export interface RegisterInput {
  name: string;
  description?: string;
  providerName?: string;
  baseUrl?: string;
  labels?: Record<string, string | string[]>;
}

export const REGISTER_APPLICATION = `mutation Register($in: ApplicationRegisterInput!) {
  registerApplication(in: $in) { id name }
}`;

export interface AuthType {
  type: string;
  description: string;
  /** JSON Schema of the inputParams generateAuthForApplication accepts for this type. */
  inputParams: JsonSchema;
  presentation: Presentation;
}

export interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  required?: string[];
  minimum?: number;
  maximum?: number;
}

export const GET_AUTH_TYPES = `query AuthTypes($id: ID!) {
  getAuthTypesForApplication(appId: $id) { type description inputParams ${PRESENTATION} }
}`;

export interface PairingAuthResult {
  type: string;
  systemAuthID: string;
  params: Record<string, unknown>;
  expiresAt: string | null;
}

export const GENERATE_AUTH = `mutation Pair($id: ID!, $type: String!, $inputParams: JSON!) {
  generateAuthForApplication(id: $id, type: { type: $type }, inputParams: $inputParams) { type systemAuthID params expiresAt }
}`;

export const DELETE_SYSTEM_AUTH = `mutation Revoke($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id status } }`;
/** Revokes one certificate and every certificate renewed from it; the SystemAuth and its other certificates stay. */
export const REVOKE_ISSUED_CERTIFICATE = `mutation RevokeCertificate($authID: ID!, $fingerprint: String!) {
  revokeIssuedCertificate(authID: $authID, sha256Fingerprint: $fingerprint) { serialNumber sha256Fingerprint revoked }
}`;
/** A second live secret for an OAuth client; the first keeps working until it is revoked. */
export const ROTATE_CLIENT_SECRET = `mutation RotateSecret($authID: ID!) { rotateClientSecret(authID: $authID) { id clientSecret createdAt } }`;
/** Ends one live secret of an OAuth client (never its last). */
export const REVOKE_CLIENT_SECRET = `mutation RevokeSecret($authID: ID!, $secretId: ID!) {
  revokeClientSecret(authID: $authID, secretId: $secretId) { id secrets { id } }
}`;
export const UNPAIR_APPLICATION = `mutation Unpair($id: ID!) { unpairApplication(id: $id) { id status { condition } } }`;
export const UNREGISTER_APPLICATION = `mutation Unregister($id: ID!) { unregisterApplication(id: $id) { id name } }`;

export interface Viewer {
  viewer: { id: string; type: 'ADMIN' | 'APPLICATION'; tenant: string };
}

export const GET_VIEWER = `query Viewer { viewer { id type tenant } }`;

export type AuditOutcome = 'SUCCESS' | 'REFUSED' | 'FAILED';

export interface AuditEvent {
  id: string;
  time: string;
  action: string;
  outcome: AuditOutcome;
  reason: string | null;
  count: number;
  actor: { kind: 'ADMINISTRATOR' | 'APPLICATION' | 'CLI' | 'UNAUTHENTICATED'; id: string | null; via: string | null; certificateFingerprint: string | null };
  target: { applicationId: string | null; systemAuthId: string | null; certificateSerial: string | null; certificateFingerprint: string | null };
  sourceIp: string | null;
  /** Per action, e.g. a one-time token's purpose (CONFIGURATION or CSR). */
  details: Record<string, unknown> | null;
}

export interface AuditEventPage {
  auditEvents: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    data: AuditEvent[];
  };
}

/** The tenant's audit trail (or, with filter.applicationId, one application's), newest first. */
export const LIST_AUDIT_EVENTS = `query AuditEvents($first: Int!, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    data {
      id time action outcome reason count sourceIp details
      actor { kind id via certificateFingerprint }
      target { applicationId systemAuthId certificateSerial certificateFingerprint }
    }
  }
}`;

/** The names the audit trail shows instead of ids: the tenant's applications (the first 100), their credentials and what each type's are called. */
export const AUDIT_NAMES = `query AuditNames {
  applications(first: 100) { data { id name auths { id type } } }
  authTypes { type presentation { credentialNoun } }
}`;

export interface AuditNamesAnswer {
  applications: { data: { id: string; name: string; auths: { id: string; type: string }[] }[] };
  /** What one credential of each type is called. */
  authTypes: { type: string; presentation: Pick<Presentation, 'credentialNoun'> }[];
}
