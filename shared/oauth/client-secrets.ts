// An OAuth client's secrets: where each lives in Secrets Manager, how a new one is made, and when its use is stamped.
import { INITIAL_CLIENT_SECRET_ID, type ClientSecretRecord } from '../system-auths/types';

/** 32 bytes: 256 bits from the CSPRNG. */
export const CLIENT_SECRET_BYTES = 32;

/**
 * Where one secret of a client lives, below the stage's prefix: the initial one at `oauth-clients/<clientId>`, each one
 * a rotation adds at `oauth-clients/<clientId>/<secretId>`.
 * One Secrets Manager secret per client secret: a value is written once and never changed, so adding or
 * ending one never rewrites another (no read-modify-write of a shared value racing a second rotation).
 */
export const clientSecretName = (clientId: string, secretId: string = INITIAL_CLIENT_SECRET_ID): string =>
  (secretId === INITIAL_CLIENT_SECRET_ID ? ['oauth-clients', clientId] : ['oauth-clients', clientId, secretId]).join('/');

/** A secret's lastUsedAt is written at most this often: it says "in use lately", and a grant adds no write for it. */
const SECRET_LAST_USED_RESOLUTION_MS = 60_000;

/** Whether this use of the secret should be stamped on it. */
export function secretUseIsDue(secret: ClientSecretRecord, now: Date): boolean {
  return secret.lastUsedAt === undefined || now.getTime() - Date.parse(secret.lastUsedAt) >= SECRET_LAST_USED_RESOLUTION_MS;
}

/**
 * Where client secrets live, by their name below the stage's prefix (clientSecretName): the composition root's
 * SecretStore (shared/aws/secrets.ts) is one; unit tests hand in a stand-in.
 */
export interface ClientSecretStore {
  create(name: string, value: string, description: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** The stored value, read at most `maxAgeSeconds` ago; undefined when there is none. */
  read(name: string, maxAgeSeconds: number): Promise<string | undefined>;
  /** What Secrets Manager calls the secret `name`: the name an operator is told in a log line. */
  fullName(name: string): string;
}
