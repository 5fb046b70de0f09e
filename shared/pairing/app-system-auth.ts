// Converts a SystemAuth into the Director's AppSystemAuth: public facts only, the secret solely where it was just created.
import { liveClientSecretsOf, type SystemAuth } from '../system-auths/types';
import { tokenUrl } from './oauth-client-credentials';
import { publicKeysOf, type PublicKeyInfo } from './private-key-jwt';

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
  publicKeys: PublicKeyInfo[] | null;
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
  // A PRIVATE_KEY_JWT client is an OAuth client too: it has a client id and a token URL, and public keys instead of secrets.
  const keyed = auth.type === 'PRIVATE_KEY_JWT';
  return {
    id: auth.id,
    type: auth.type,
    status: auth.status,
    createdAt: auth.createdAt,
    lastUsedAt: auth.lastUsedAt ?? null,
    clientId: oauth || keyed ? auth.id : null,
    clientSecret: oauth && clientSecret !== undefined ? clientSecret : null,
    tokenUrl: oauth || keyed ? tokenUrl(publicBaseUrl) : null,
    scopes: [...auth.scopes],
    publicKeys: keyed ? publicKeysOf(auth) : null,
    secrets: oauth ? liveClientSecretsOf(auth).map((secret) => ({ id: secret.id, createdAt: secret.createdAt, lastUsedAt: secret.lastUsedAt ?? null })) : null,
  };
}
