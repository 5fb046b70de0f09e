// Converts a SystemAuth into the Director's AppSystemAuth: public facts only, the secret solely where it was just created.
import type { SystemAuth } from '../system-auths/types';
import type { AppSystemAuthFields, PairingAdapter, PairingContext, PairingPresentation } from './adapter';

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
  publicKeys: ClientPublicKeyInfo[] | null;
  /** Credentials of an outside pairing adapter: which adapter, the auth type, the adapter's reference. */
  pairingAdapter: string | null;
  authType: string | null;
  adapterReference: string | null;
  /** The words a user interface shows for its type. */
  presentation: PairingPresentation;
  /** Whether its type holds certificates (AppSystemAuth.certificates is null otherwise); not a GraphQL field. */
  holdsCertificates: boolean;
}

/** The GraphQL ClientSecretInfo: one live secret of an OAuth client, never its value. */
export interface ClientSecretInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** The GraphQL ClientPublicKeyInfo: one live public key of a credential, by its id. */
export type ClientPublicKeyInfo = NonNullable<AppSystemAuthFields['publicKeys']>[number];

/**
 * The common fields, and the type's own from its adapter (null where the type has none). `clientSecret` is only ever
 * passed by the mutation that created the credential: every other path (listing, deletion) calls this without one,
 * so a secret cannot leak through a later response.
 */
export function toAppSystemAuth(auth: SystemAuth, adapter: PairingAdapter, context: PairingContext, clientSecret?: string): AppSystemAuth {
  const own = adapter.publicFields(auth, context, clientSecret);
  return {
    id: auth.id,
    type: auth.type,
    status: auth.status,
    createdAt: auth.createdAt,
    lastUsedAt: auth.lastUsedAt ?? null,
    clientId: own.clientId ?? null,
    clientSecret: own.clientSecret ?? null,
    tokenUrl: own.tokenUrl ?? null,
    scopes: [...auth.scopes],
    secrets: own.secrets ?? null,
    publicKeys: own.publicKeys ?? null,
    pairingAdapter: own.pairingAdapter ?? null,
    authType: own.authType ?? null,
    adapterReference: own.adapterReference ?? null,
    presentation: adapter.authType.presentation,
    holdsCertificates: adapter.certificates !== undefined,
  };
}
