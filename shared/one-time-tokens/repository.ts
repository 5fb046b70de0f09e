// DynamoDB storage of one-time tokens (Tokens table) and of the list of token hashes each SystemAuth was issued.
import { DeleteCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../aws/clients';
import { config } from '../config';
import { AUTH_SORT_KEY, LATEST_TOKEN_EXPIRY_ATTRIBUTE } from '../system-auths/repository';
import { epochSeconds, isExpired, type OneTimeToken, type OneTimeTokenPurpose, type RedeemedCertificate } from './token';

type Item = Record<string, NativeAttributeValue>;

/** One element of a TransactWriteItems request, as lib-dynamodb's command takes it. */
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/**
 * Attribute of the SystemAuth item listing the hashes of every token issued for it: the Tokens table
 * is keyed by hash only, and revocation must find the tokens it has to delete.
 */
export const TOKEN_HASHES_ATTRIBUTE = 'tokenHashes';

function fromItem(item: Item): OneTimeToken {
  const token: OneTimeToken = {
    tokenHash: item.tokenHash,
    tenant: item.tenant,
    appId: item.appId,
    systemAuthId: item.systemAuthId,
    purpose: item.purpose,
    expiresAt: Number(item.expiresAt),
    createdAt: item.createdAt,
  };
  if (item.redeemedAt !== undefined) token.redeemedAt = item.redeemedAt;
  if (item.csrHash !== undefined) token.csrHash = item.csrHash;
  if (item.certificate !== undefined) token.certificate = item.certificate as RedeemedCertificate;
  return token;
}

/** Put of a new token; a hash collision (never expected from 256 random bits) fails instead of overwriting. */
export function oneTimeTokenPut(token: OneTimeToken): TransactItem {
  return {
    Put: {
      TableName: config().tokensTable,
      Item: { ...token },
      ConditionExpression: 'attribute_not_exists(tokenHash)',
    },
  };
}

/**
 * Records the token's hash and expiry on its SystemAuth (the expiry is what turns a never-finished
 * pairing EXPIRED). Its condition is what makes issuance safe: a token is only ever issued for an
 * existing CLIENT_CERTIFICATE SystemAuth of that application that is not revoked.
 */
export function systemAuthTokenLink(token: OneTimeToken): TransactItem {
  return {
    Update: {
      TableName: config().systemAuthsTable,
      Key: { id: token.systemAuthId, sk: AUTH_SORT_KEY },
      UpdateExpression: 'ADD #hashes :hash SET #latestExpiry = :expiresAt',
      ConditionExpression:
        'attribute_exists(id) AND tenant = :tenant AND appId = :appId AND #type = :type AND #status IN (:pending, :active)',
      ExpressionAttributeNames: {
        '#hashes': TOKEN_HASHES_ATTRIBUTE,
        '#latestExpiry': LATEST_TOKEN_EXPIRY_ATTRIBUTE,
        '#type': 'type',
        '#status': 'status',
      },
      ExpressionAttributeValues: {
        ':hash': new Set([token.tokenHash]),
        ':expiresAt': token.expiresAt,
        ':tenant': token.tenant,
        ':appId': token.appId,
        ':type': 'CLIENT_CERTIFICATE',
        ':pending': 'PENDING',
        ':active': 'ACTIVE',
      },
    },
  };
}

/**
 * Spends the token: succeeds for exactly one caller, and only while the token is unspent, unexpired
 * and of the expected purpose. A CSR token records the CSR hash and the certificate for idempotent retries.
 */
export function oneTimeTokenRedemption(
  tokenHash: string,
  purpose: OneTimeTokenPurpose,
  now: Date,
  issued?: { csrHash: string; certificate: RedeemedCertificate },
): TransactItem {
  const values: Item = { ':redeemedAt': now.toISOString(), ':now': epochSeconds(now), ':purpose': purpose };
  let update = 'SET redeemedAt = :redeemedAt';
  if (issued) {
    update += ', csrHash = :csrHash, certificate = :certificate';
    values[':csrHash'] = issued.csrHash;
    values[':certificate'] = issued.certificate;
  }
  return {
    Update: {
      TableName: config().tokensTable,
      Key: { tokenHash },
      UpdateExpression: update,
      ConditionExpression: 'attribute_exists(tokenHash) AND attribute_not_exists(redeemedAt) AND expiresAt > :now AND purpose = :purpose',
      ExpressionAttributeValues: values,
    },
  };
}

/** The stored token with this hash, or undefined when there is none or it has expired (whether or not TTL removed it yet). */
export async function findOneTimeToken(tokenHash: string, now: Date = new Date()): Promise<OneTimeToken | undefined> {
  const out = await dynamo().send(new GetCommand({ TableName: config().tokensTable, Key: { tokenHash }, ConsistentRead: true }));
  if (!out.Item) return undefined;
  const token = fromItem(out.Item);
  return isExpired(token, now) ? undefined : token;
}

/** Hashes of every token issued for the SystemAuth (empty when it has none or no longer exists). */
export async function tokenHashesOfSystemAuth(systemAuthId: string): Promise<string[]> {
  const out = await dynamo().send(
    new GetCommand({
      TableName: config().systemAuthsTable,
      Key: { id: systemAuthId, sk: AUTH_SORT_KEY },
      ProjectionExpression: '#hashes',
      ExpressionAttributeNames: { '#hashes': TOKEN_HASHES_ATTRIBUTE },
      ConsistentRead: true,
    }),
  );
  const hashes: unknown = out.Item?.[TOKEN_HASHES_ATTRIBUTE];
  return hashes instanceof Set ? [...(hashes as Set<string>)] : [];
}

/** Deletes the tokens with these hashes (spent ones too: their stored certificate must not be handed out again). */
export async function deleteOneTimeTokens(tokenHashes: readonly string[]): Promise<void> {
  await Promise.all(
    tokenHashes.map((tokenHash) => dynamo().send(new DeleteCommand({ TableName: config().tokensTable, Key: { tokenHash } }))),
  );
}

/**
 * Why a TransactWriteItems was cancelled, one code per item in request order ("None" for items that
 * were fine, "ConditionalCheckFailed", "TransactionConflict", ...); undefined when `error` is no cancellation.
 */
export function cancellationCodes(error: unknown): string[] | undefined {
  const cancelled = error as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  if (cancelled?.name !== 'TransactionCanceledException') return undefined;
  return (cancelled.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

export async function transactWrite(items: TransactItem[]): Promise<void> {
  await dynamo().send(new TransactWriteCommand({ TransactItems: items }));
}
