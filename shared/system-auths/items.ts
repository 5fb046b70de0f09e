// The SystemAuth item of the SystemAuths table (sk "AUTH") and its keys: how a SystemAuth is written and read back, its
// attributes' names, and the keys other items of the table share with it (application index, OAuth clients' counter).
import { UpdateCommand, type DynamoDBDocumentClient, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { isPast } from '../time';
import type { ClientPublicKeyRecord, ClientSecretRecord, SystemAuth, SystemAuthStatus } from './types';

/** Sort key of the SystemAuth item itself (certificate items of the same id use "CERT#<sha256>"). */
export const AUTH_SORT_KEY = 'AUTH';

/**
 * Attribute of a CLIENT_CERTIFICATE SystemAuth item: the expiry (epoch seconds) of the one-time token
 * linked to it last, set in that token's own transaction. A PENDING auth past it reads as EXPIRED.
 */
export const LATEST_TOKEN_EXPIRY_ATTRIBUTE = 'latestTokenExpiresAt';

/**
 * Attribute of the SystemAuth item listing the hashes of every token issued for it: the Tokens table
 * is keyed by hash only, and revocation must find the tokens it has to delete.
 */
export const TOKEN_HASHES_ATTRIBUTE = 'tokenHashes';

/**
 * Attribute of an OAuth client's SystemAuth item once it was first rotated: its live secrets as a map
 * `{<secretId>: {createdAt, lastUsedAt?}}` (never a value). A map, so that a condition can count it
 * (`size`) and name one entry, and an update can add, remove or stamp one entry without a read.
 */
export const CLIENT_SECRETS_ATTRIBUTE = 'clientSecrets';

/**
 * Attribute (string set) of the ids of secrets revoked one by one whose Secrets Manager secret may not be
 * deleted yet: added with the removal from CLIENT_SECRETS_ATTRIBUTE, dropped once the secret is gone, so a
 * failed deletion is finished by revoking the client, never left where nothing finds it.
 */
export const RETIRED_CLIENT_SECRETS_ATTRIBUTE = 'retiredClientSecrets';

/**
 * Attribute of an OAuth client's SystemAuth item holding the verifier of one secret (CLIENT_SECRET_STORE=verifier):
 * one top-level attribute per secret id, so that adding, migrating or removing one is a SET or REMOVE of its own
 * (a map would need to exist before an entry could be set, and a client made before verifiers has none).
 */
export const secretVerifierAttribute = (secretId: string): string => `${SECRET_VERIFIER_PREFIX}${secretId}`;
const SECRET_VERIFIER_PREFIX = 'secretVerifier:';

/**
 * Attribute of a PRIVATE_KEY_JWT client's SystemAuth item: its live public keys as a map `{<kid>: {jwk, createdAt,
 * lastUsedAt?}}`, a map for the same reasons as CLIENT_SECRETS_ATTRIBUTE (a condition counts it, an update names one key).
 */
export const PUBLIC_KEYS_ATTRIBUTE = 'publicKeys';

export const publicKeyEntry = (key: ClientPublicKeyRecord): Item =>
  key.lastUsedAt === undefined ? { jwk: key.jwk, createdAt: key.createdAt } : { jwk: key.jwk, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt };

function fromPublicKeyMap(map: unknown): ClientPublicKeyRecord[] | undefined {
  if (map === null || typeof map !== 'object') return undefined;
  return Object.entries(map as Record<string, { jwk: string; createdAt: string; lastUsedAt?: string }>)
    .map(([kid, entry]) => {
      const key: ClientPublicKeyRecord = { kid, jwk: entry.jwk, createdAt: entry.createdAt };
      if (entry.lastUsedAt !== undefined) key.lastUsedAt = entry.lastUsedAt;
      return key;
    })
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.kid.localeCompare(b.kid));
}

/** Attribute set once `migrate-client-secrets` moved every secret of the client out of Secrets Manager (RFC 3339). */
export const CLIENT_SECRETS_MIGRATED_ATTRIBUTE = 'clientSecretsMigratedAt';

/** A SystemAuths-table item as the document client reads and writes it. */
export type Item = Record<string, NativeAttributeValue>;

export const secretEntry = (secret: ClientSecretRecord): Item =>
  secret.lastUsedAt === undefined ? { createdAt: secret.createdAt } : { createdAt: secret.createdAt, lastUsedAt: secret.lastUsedAt };

export const secretMap = (secrets: readonly ClientSecretRecord[]): Item => Object.fromEntries(secrets.map((secret) => [secret.id, secretEntry(secret)]));

function fromSecretMap(map: unknown): ClientSecretRecord[] | undefined {
  if (map === null || typeof map !== 'object') return undefined;
  return Object.entries(map as Record<string, { createdAt: string; lastUsedAt?: string }>)
    .map(([id, entry]) => {
      const secret: ClientSecretRecord = { id, createdAt: entry.createdAt };
      if (entry.lastUsedAt !== undefined) secret.lastUsedAt = entry.lastUsedAt;
      return secret;
    })
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/**
 * Key of a tenant's counter of live OAuth clients, `{id: "quota#<tenant>", sk: "OAUTH_CLIENTS", count}`.
 * SystemAuth ids are UUIDs and tenants have no "#", so the id is no SystemAuth's; its sort key is not
 * "AUTH", so no read of a SystemAuth by id finds it; it has no `appKey`, so the byApplication index never holds it.
 */
export const oauthClientsCounterKey = (tenant: string): { id: string; sk: string } => ({ id: `quota#${tenant}`, sk: 'OAUTH_CLIENTS' });


/** Partition key of the `byApplication` index: all auths of one application in one Query. */
export const applicationKey = (tenant: string, appId: string): string => `${tenant}#${appId}`;

/** A conditional write whose condition did not hold (the item is unchanged). */
export const isConditionalFailure = (error: unknown): boolean =>
  (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';

/** Updates the SystemAuth item `id` if the condition holds; false when it does not (the item is then unchanged). */
export async function updateAuthItemIf(
  dynamo: DynamoDBDocumentClient,
  table: string,
  id: string,
  update: { expression: string; condition: string; names: Record<string, string>; values: Item },
): Promise<boolean> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: { id, sk: AUTH_SORT_KEY },
        UpdateExpression: update.expression,
        ConditionExpression: update.condition,
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalFailure(error)) return false;
    throw error;
  }
}

/** The stored item of a SystemAuth. */
export function toSystemAuthItem(auth: SystemAuth): Item {
  const { clientSecrets, secretVerifiers, publicKeys, ...fields } = auth;
  return {
    ...fields,
    sk: AUTH_SORT_KEY,
    appKey: auth.appId === undefined ? undefined : applicationKey(auth.tenant, auth.appId),
    ...(clientSecrets === undefined ? {} : { [CLIENT_SECRETS_ATTRIBUTE]: secretMap(clientSecrets) }),
    ...(publicKeys === undefined ? {} : { [PUBLIC_KEYS_ATTRIBUTE]: Object.fromEntries(publicKeys.map((key) => [key.kid, publicKeyEntry(key)])) }),
    ...Object.fromEntries(Object.entries(secretVerifiers ?? {}).map(([secretId, verifier]) => [secretVerifierAttribute(secretId), verifier])),
  };
}

/**
 * The status as every reader sees it. EXPIRED is derived, never stored: a pairing whose tokens all ran
 * out stays PENDING in the table, so nothing but time decides it, and an ACTIVE auth (it holds a
 * certificate) is unaffected by token expiry.
 */
function effectiveStatus(item: Item, now: Date): SystemAuthStatus {
  const latestTokenExpiry: unknown = item[LATEST_TOKEN_EXPIRY_ATTRIBUTE];
  if (item.status === 'PENDING' && latestTokenExpiry !== undefined && isPast(Number(latestTokenExpiry), now)) return 'EXPIRED';
  return item.status;
}

/** The SystemAuth of a stored item; `now` decides whether a PENDING pairing has EXPIRED. */
export function fromSystemAuthItem(item: Item, now: Date = new Date()): SystemAuth {
  const auth: SystemAuth = {
    id: item.id,
    tenant: item.tenant,
    kind: item.kind,
    type: item.type,
    status: effectiveStatus(item, now),
    scopes: Array.isArray(item.scopes) ? [...item.scopes] : [],
    createdAt: item.createdAt,
  };
  if (item.appId !== undefined) auth.appId = item.appId;
  if (item.lastUsedAt !== undefined) auth.lastUsedAt = item.lastUsedAt;
  const clientSecrets = fromSecretMap(item[CLIENT_SECRETS_ATTRIBUTE]);
  if (clientSecrets !== undefined) auth.clientSecrets = clientSecrets;
  const publicKeys = fromPublicKeyMap(item[PUBLIC_KEYS_ATTRIBUTE]);
  if (publicKeys !== undefined) auth.publicKeys = publicKeys;
  const verifiers = Object.entries(item)
    .filter(([name, value]) => name.startsWith(SECRET_VERIFIER_PREFIX) && value instanceof Uint8Array)
    .map(([name, value]) => [name.slice(SECRET_VERIFIER_PREFIX.length), value as Uint8Array] as const);
  if (verifiers.length > 0) auth.secretVerifiers = Object.fromEntries(verifiers);
  if (item.external !== undefined) auth.external = item.external as SystemAuth['external'];
  return auth;
}
