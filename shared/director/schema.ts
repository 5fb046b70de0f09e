// The Director's GraphQL SDL: the contract (../shared/spec/director.graphql) with this service's additive
// extensions (marked "Extension."), kept as a TypeScript string so that esbuild, jest and tsx all load it. The values of
// enum SystemAuthType are the registry's list of SystemAuth types.
import { SYSTEM_AUTH_TYPES } from '../system-auths/types';
import { auditSdl } from './audit-schema';

export const directorSdl = `# Director API — the contract served at POST /director/graphql.
# Names follow the Compass Director where Compass has them, and the pairing-adapter
# API from the seed (getAuthTypesForApplication / generateAuthForApplication).
# The implementation may add fields and types; it must not rename or drop these.

scalar JSON       # any JSON value
scalar Timestamp  # RFC 3339 string, UTC, e.g. "2026-11-28T15:04:05.000Z"

type Query {
  # Applications of the caller's tenant, newest first. \`after\` is an opaque cursor.
  applications(first: Int = 50, after: String): ApplicationPage!
  # null when the application does not exist in the caller's tenant.
  application(id: ID!): Application
  # Every pairing type this application can use right now (see "Auth types" in API.md).
  getAuthTypesForApplication(appId: ID!): [AuthType!]!
  # Extension. Every pairing type of this service, for naming credentials of any application (administrators only).
  authTypes: [AuthType!]!
  # Who is calling: an administrator client or a paired application.
  viewer: Viewer!
  # Extension. The tenant's audit trail, newest first: administrators only (an application is FORBIDDEN).
  # \`after\` is an opaque cursor (pageInfo.endCursor).
  auditEvents(first: Int = 50, after: String, filter: AuditEventFilter): AuditEventPage!
}

type Mutation {
  registerApplication(in: ApplicationRegisterInput!): Application!
  updateApplication(id: ID!, in: ApplicationUpdateInput!): Application!
  # Revokes every credential of the application (secrets, tokens, certificates), then deletes it.
  unregisterApplication(id: ID!): Application!
  # Revokes every credential of the application and sets its status back to INITIAL.
  unpairApplication(id: ID!): Application!

  # The seed's pairing entry point: one mutation for every auth type.
  generateAuthForApplication(id: ID!, type: PairingAdapterAuthTypeInput!, inputParams: JSON!): PairingAuthResult!

  # Compass-compatible shortcuts for the two built-in types.
  requestOneTimeTokenForApplication(id: ID!): OneTimeTokenForApplication!
  requestClientCredentialsForApplication(id: ID!): AppSystemAuth!

  # Revokes one credential (OAuth client, pending token or certificate lineage) and deletes its SystemAuth.
  deleteSystemAuthForApplication(authID: ID!): AppSystemAuth!
  # Extension. Revokes one certificate of a CLIENT_CERTIFICATE SystemAuth of the tenant, named by exactly one of
  # its serial number or SHA-256 fingerprint (hex, colons and case ignored), and every certificate renewed from
  # it; the SystemAuth and its other certificates stay. Returns every certificate it revoked.
  revokeIssuedCertificate(authID: ID!, serialNumber: String, sha256Fingerprint: String): [IssuedCertificate!]!
  # Extension. Adds a second live secret to an OAuth client (an OAUTH2_CLIENT_CREDENTIALS SystemAuth of an application
  # of the tenant) and returns it, its value shown this once; the client's other secret keeps working until it is
  # revoked. A client has at most two live secrets: a third is CONFLICT (revoke one first).
  rotateClientSecret(authID: ID!): ClientSecret!
  # Extension. Ends one live secret of an OAuth client: the token endpoint refuses it (invalid_client) from the next
  # request on. The last live secret is not revoked (CONFLICT): deleteSystemAuthForApplication ends the client itself.
  revokeClientSecret(authID: ID!, secretId: ID!): AppSystemAuth!
  # Extension. Adds a second live public key (PEM or JWK text) to a PRIVATE_KEY_JWT client, for rotation; at most two (CONFLICT).
  addPublicKey(authID: ID!, publicKey: String!): AppSystemAuth!
  # Extension. Ends one live public key (keyId: its kid) of a PRIVATE_KEY_JWT client; never the last (CONFLICT).
  removePublicKey(authID: ID!, keyId: ID!): AppSystemAuth!
}

type ApplicationPage {
  data: [Application!]!
  totalCount: Int!
  pageInfo: PageInfo!
}

type PageInfo {
  hasNextPage: Boolean!
  endCursor: String
}

type Application {
  id: ID!
  name: String!
  description: String
  providerName: String
  baseUrl: String
  labels: JSON
  status: ApplicationStatus!
  # Credentials of this application. Secrets and tokens are never readable here.
  auths: [AppSystemAuth!]!
  createdAt: Timestamp!
  updatedAt: Timestamp!
  # Extension. This application's audit trail, newest first (administrators only; filter.applicationId is ignored).
  auditEvents(first: Int = 50, after: String, filter: AuditEventFilter): AuditEventPage!
}

type ApplicationStatus {
  condition: ApplicationStatusCondition!
  timestamp: Timestamp!
}

enum ApplicationStatusCondition {
  INITIAL      # registered, never called with its own credentials
  CONNECTED    # has called with its own credentials (OAuth access token or client certificate)
  FAILED
}

input ApplicationRegisterInput {
  name: String!          # 1-36 chars, [a-z0-9-.], must not start with a digit; unique per tenant
  description: String    # at most 2000 chars
  providerName: String   # at most 256 chars
  baseUrl: String        # absolute http(s) URL, at most 256 chars
  labels: JSON           # object of string -> string or [string]
}

input ApplicationUpdateInput {
  description: String
  providerName: String
  baseUrl: String
  labels: JSON
}

type AuthType {
  type: String!          # "OAUTH2_CLIENT_CREDENTIALS" or "CLIENT_CERTIFICATE" (more may be added)
  description: String!
  inputParams: JSON!     # JSON Schema of the inputParams that generateAuthForApplication accepts for this type
  # Extension. The type in words, for a user interface that shows any type without knowing its name.
  presentation: PairingPresentation!
}

# Extension. The words a user interface shows for a pairing type.
type PairingPresentation {
  label: String!                 # the type in words, e.g. "OAuth 2.0 client credentials"
  credentialNoun: String!        # one credential of the type in a sentence, e.g. "OAuth client" (of an application)
  revocationEffect: String!      # what stops working when one is revoked, e.g. "client and its access tokens"
  pendingHint: String            # said beside a credential waiting for the application to finish pairing; null if none waits
  handoverWarning: String        # said above the pairing data before it is handed over; null for nothing
  params: [PairingParamLabel!]!  # the params of generateAuthForApplication's answer in words, in the order to show them
  inputParams: [PairingParamLabel!]! # its inputParams in words (a form's labels)
}

# Extension. One param of the pairing data and its label.
type PairingParamLabel {
  name: String!
  label: String!
}

input PairingAdapterAuthTypeInput {
  type: String!
}

type PairingAuthResult {
  type: String!
  systemAuthID: ID!
  # Everything the Application needs to pair; the shape per type is fixed in API.md.
  params: JSON!
  expiresAt: Timestamp   # set when the pairing data itself expires (one-time tokens)
}

type AppSystemAuth {
  id: ID!                      # for OAuth: equals the client_id; for certificates: the CN of the issued certificates
  type: SystemAuthType!
  status: SystemAuthStatus!
  createdAt: Timestamp!
  lastUsedAt: Timestamp
  # OAuth only: the client id and token URL. The secret only in the response of the mutation that
  # created it (requestClientCredentialsForApplication); null everywhere else, forever.
  clientId: String
  clientSecret: String
  tokenUrl: String
  scopes: [String!]
  # Certificate only: the certificates issued under this SystemAuth.
  certificates: [IssuedCertificate!]
  # Extension. OAuth only: the client's live secrets (at most two), oldest first, never their values; null for certificates.
  secrets: [ClientSecretInfo!]
  # Extension. Credentials of a pairing adapter outside the service (type EXTERNAL): the adapter's configured name,
  # the auth type it was generated with, and the adapter's own non-secret reference (null when it gave none).
  pairingAdapter: String
  authType: String
  adapterReference: String
  # Extension. Its type in words (as AuthType.presentation).
  presentation: PairingPresentation!
  # Extension. Its live public keys, oldest first; null for types without.
  publicKeys: [ClientPublicKeyInfo!]
}

# Extension. A live public key of a credential.
type ClientPublicKeyInfo {
  kid: ID!                     # RFC 7638 thumbprint
  createdAt: Timestamp!
  lastUsedAt: Timestamp
}

# Extension. One live secret of an OAuth client: which one and when it was used, never its value.
type ClientSecretInfo {
  id: ID!                      # "initial" for the secret the client was created with
  createdAt: Timestamp!
  lastUsedAt: Timestamp        # the last token grant with this secret, to the minute
}

# Extension. The answer of rotateClientSecret: the new secret, its value shown this once and never again.
type ClientSecret {
  id: ID!
  clientSecret: String!
  createdAt: Timestamp!
}

enum SystemAuthType {
${SYSTEM_AUTH_TYPES.map((type) => `  ${type}`).join('\n')}
}

enum SystemAuthStatus {
  PENDING      # one-time token issued, not yet redeemed
  ACTIVE
  REVOKED
  EXPIRED
}

type IssuedCertificate {
  serialNumber: String!        # hex
  sha256Fingerprint: String!   # hex of SHA-256 over the DER
  subject: String!
  notBefore: Timestamp!
  notAfter: Timestamp!
  revoked: Boolean!
  # Extension. The sha256Fingerprint of the certificate this one was renewed with; null for the first one.
  renewedFrom: String
  # Extension. The id of the pairing CA that issued it (ca-<n>; see the Connector's certificateSigningRequestInfo.caId).
  caId: String!
}

type OneTimeTokenForApplication {
  token: String!
  connectorURL: String!
  used: Boolean!
  expiresAt: Timestamp!
  createdAt: Timestamp!
  # base64 of a JSON object {"token","connectorURL","expiresAt"}: one string an administrator can paste.
  rawEncoded: String!
}

type Viewer {
  id: ID!                # application id for APPLICATION, client id for ADMIN
  type: ViewerType!
  tenant: String!
}

enum ViewerType {
  ADMIN
  APPLICATION
}

${auditSdl}`;
