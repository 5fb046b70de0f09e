// The SystemAuth: one credential (an OAuth client or a certificate lineage) of an administrator or an application.

export const SYSTEM_AUTH_KINDS = ['ADMIN', 'APPLICATION'] as const;
export type SystemAuthKind = (typeof SYSTEM_AUTH_KINDS)[number];

export const SYSTEM_AUTH_TYPES = ['OAUTH2_CLIENT_CREDENTIALS', 'CLIENT_CERTIFICATE'] as const;
export type SystemAuthType = (typeof SYSTEM_AUTH_TYPES)[number];

export const SYSTEM_AUTH_STATUSES = ['PENDING', 'ACTIVE', 'REVOKED', 'EXPIRED'] as const;
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
}
