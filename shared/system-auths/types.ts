// The SystemAuth: one credential (an OAuth client or a certificate lineage) of an administrator or an application.

const SYSTEM_AUTH_KINDS = ['ADMIN', 'APPLICATION'] as const;
export type SystemAuthKind = (typeof SYSTEM_AUTH_KINDS)[number];

export const SYSTEM_AUTH_TYPES = ['OAUTH2_CLIENT_CREDENTIALS', 'CLIENT_CERTIFICATE', 'PRIVATE_KEY_JWT', 'EXTERNAL'] as const;
export type SystemAuthType = (typeof SYSTEM_AUTH_TYPES)[number];

const SYSTEM_AUTH_STATUSES = ['PENDING', 'ACTIVE', 'REVOKED', 'EXPIRED'] as const;
export type SystemAuthStatus = (typeof SYSTEM_AUTH_STATUSES)[number];

export interface SystemAuth {
  /** For OAuth clients this is the client_id; for certificates the certificate's CN. */
  id: string;
  tenant: string;
  kind: SystemAuthKind;
  type: SystemAuthType;
  /** Set exactly when kind is APPLICATION. */
  appId?: string;
  status: SystemAuthStatus;
  scopes: string[];
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339; the last successful authentication with these credentials. */
  lastUsedAt?: string;
  /**
   * OAuth clients that were ever rotated: their live secrets, oldest first. Absent for a client that never
   * was (its one secret is the initial one): read it through liveClientSecretsOf.
   */
  clientSecrets?: ClientSecretRecord[];
  /**
   * OAuth clients whose secrets are kept as verifiers (CLIENT_SECRET_STORE=verifier): per live secret id, the KMS HMAC
   * its secret is checked against (shared/oauth/stored-verifiers.ts). A secret without one is in Secrets Manager.
   */
  secretVerifiers?: Record<string, Uint8Array>;
  /** PRIVATE_KEY_JWT clients: their live public keys (at most two), oldest first. */
  publicKeys?: ClientPublicKeyRecord[];
  /** Credentials made by a pairing adapter outside the service: which one, and its non-secret reference (never a secret). */
  external?: ExternalPairingRecord;
}

/** What a SystemAuth records of an outside pairing adapter's credential: enough to tell the adapter when it is deleted. */
export interface ExternalPairingRecord {
  /** The adapter's configured name. */
  adapter: string;
  /** The auth type the credential was generated with. */
  authType: string;
  /** The adapter's own id of what it made, when it returned one. */
  reference?: string;
}

/** One live public key of a PRIVATE_KEY_JWT client: public material only, checked by shared/oauth/client-public-keys.ts before it is stored. */
export interface ClientPublicKeyRecord {
  /** The RFC 7638 JWK thumbprint (SHA-256, base64url): the key's id. */
  kid: string;
  /** The public JWK as JSON text (kty and its public members only). */
  jwk: string;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339; written at most once a minute, with the grant's own write. */
  lastUsedAt?: string;
}

/** Live public keys a PRIVATE_KEY_JWT client may hold at once: one to use and one to move to. */
export const MAX_LIVE_PUBLIC_KEYS = 2;

/** One live secret of an OAuth client as its SystemAuth records it: never the value (Secrets Manager keeps it, or only its verifier is kept). */
export interface ClientSecretRecord {
  /** "initial" for the secret the client was created with; a UUID for each one added by rotation. */
  id: string;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339; written at most once a minute (MIN_SECRET_USE_INTERVAL_MS), with the grant's own write. */
  lastUsedAt?: string;
}

/** The id of an OAuth client's first secret, kept at `oauth-clients/<clientId>` (each later one adds its id to the name). */
export const INITIAL_CLIENT_SECRET_ID = 'initial';

/** Live secrets an OAuth client may hold at once: one to use and one to move to. */
export const MAX_LIVE_CLIENT_SECRETS = 2;

/**
 * The live secrets of an OAuth client. A client never rotated stores no list: its one secret is the
 * initial one, created with the client and last used when the client was.
 */
export function liveClientSecretsOf(auth: SystemAuth): ClientSecretRecord[] {
  if (auth.clientSecrets !== undefined) return auth.clientSecrets;
  const initial: ClientSecretRecord = { id: INITIAL_CLIENT_SECRET_ID, createdAt: auth.createdAt };
  if (auth.lastUsedAt !== undefined) initial.lastUsedAt = auth.lastUsedAt;
  return [initial];
}
