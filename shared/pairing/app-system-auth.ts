// Converts a SystemAuth into the Director's AppSystemAuth: public facts only, the secret solely where it was just created.
import { liveClientSecretsOf, type SystemAuth } from '../system-auths/types';
import { tokenUrl } from './oauth-client-credentials';

/** The GraphQL AppSystemAuth (certificate details are resolved per field by the certificate module). */
export interface AppSystemAuth {
  id: string;
  type: SystemAuth['type'];
  status: SystemAuth['status'];
  createdAt: string;
  lastUsedAt: string | null;
  clientId: string | null;
  clientSecret: string | null;
  tokenUrl: string | null;
  scopes: string[] | null;
  secrets: ClientSecretInfo[] | null;
}

/** The GraphQL ClientSecretInfo: one live secret of an OAuth client, never its value. */
export interface ClientSecretInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/**
 * `clientSecret` is only ever passed by the mutation that created the client: every other path
 * (listing, deletion) calls this without one, so a secret cannot leak through a later response.
 */
export function toAppSystemAuth(auth: SystemAuth, publicBaseUrl: string, clientSecret?: string): AppSystemAuth {
  const oauth = auth.type === 'OAUTH2_CLIENT_CREDENTIALS';
  return {
    id: auth.id,
    type: auth.type,
    status: auth.status,
    createdAt: auth.createdAt,
    lastUsedAt: auth.lastUsedAt ?? null,
    clientId: oauth ? auth.id : null,
    clientSecret: oauth && clientSecret !== undefined ? clientSecret : null,
    tokenUrl: oauth ? tokenUrl(publicBaseUrl) : null,
    scopes: [...auth.scopes],
    secrets: oauth ? liveClientSecretsOf(auth).map((secret) => ({ id: secret.id, createdAt: secret.createdAt, lastUsedAt: secret.lastUsedAt ?? null })) : null,
  };
}
