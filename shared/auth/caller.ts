// Who is calling the Director or the Connector, once the credentials have been checked.

import type { Scope } from '../scopes';

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
