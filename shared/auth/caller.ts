// Who is calling the Director or the Connector, once the credentials have been checked.

export const ADMIN_SCOPES = ['application:read', 'application:write', 'application.auths:read'] as const;

export type Scope = string;

export type Caller =
  | { kind: 'ADMIN'; tenant: string; clientId: string; scopes: Scope[] }
  | {
      kind: 'APPLICATION';
      tenant: string;
      appId: string;
      /** The SystemAuth the credentials belong to (OAuth client id, or the certificate's CN). */
      systemAuthId: string;
      scopes: Scope[];
      /** How the application authenticated. */
      via: 'OAUTH' | 'CERTIFICATE';
    };
