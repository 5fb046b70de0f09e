// DynamoDB storage of SystemAuths (the auth item, sk "AUTH", of the SystemAuths table).
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../aws/clients';
import { config } from '../config';
import { isExpired } from '../one-time-tokens/token';
import type { SystemAuth, SystemAuthStatus, SystemAuthType } from './types';

/** Sort key of the SystemAuth item itself (certificate items of the same id use "CERT#<sha256>"). */
export const AUTH_SORT_KEY = 'AUTH';

/**
 * Attribute of a CLIENT_CERTIFICATE SystemAuth item: the expiry (epoch seconds) of the one-time token
 * linked to it last, set in that token's own transaction. A PENDING auth past it reads as EXPIRED.
 */
export const LATEST_TOKEN_EXPIRY_ATTRIBUTE = 'latestTokenExpiresAt';

type Item = Record<string, NativeAttributeValue>;

/** Partition key of the `byApplication` index: all auths of one application in one Query. */
export const applicationKey = (tenant: string, appId: string): string => `${tenant}#${appId}`;

const isConditionalFailure = (error: unknown): boolean =>
  (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';

/** The stored item of a SystemAuth (also for TransactWriteItems built elsewhere). */
export function toSystemAuthItem(auth: SystemAuth): Item {
  return {
    ...auth,
    sk: AUTH_SORT_KEY,
    appKey: auth.appId === undefined ? undefined : applicationKey(auth.tenant, auth.appId),
  };
}

/**
 * The status as every reader sees it. EXPIRED is derived, never stored: a pairing whose tokens all ran
 * out stays PENDING in the table, so nothing but time decides it, and an ACTIVE auth (it holds a
 * certificate) is unaffected by token expiry.
 */
function effectiveStatus(item: Item, now: Date): SystemAuthStatus {
  const latestTokenExpiry: unknown = item[LATEST_TOKEN_EXPIRY_ATTRIBUTE];
  if (item.status === 'PENDING' && latestTokenExpiry !== undefined && isExpired({ expiresAt: Number(latestTokenExpiry) }, now)) {
    return 'EXPIRED';
  }
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
  return auth;
}

/** A Put of a new SystemAuth that fails instead of overwriting one with the same id. */
export function systemAuthPut(auth: SystemAuth): { TableName: string; Item: Item; ConditionExpression: string } {
  return {
    TableName: config().systemAuthsTable,
    Item: toSystemAuthItem(auth),
    ConditionExpression: 'attribute_not_exists(id)',
  };
}

/** Stores a new SystemAuth; throws ConditionalCheckFailedException if the id is taken. */
export async function createSystemAuth(auth: SystemAuth): Promise<void> {
  await dynamo().send(new PutCommand(systemAuthPut(auth)));
}

/**
 * The SystemAuth with this id, whatever its tenant: only for callers that hold no tenant yet
 * (the token endpoint, bearer and certificate authentication). Everything else uses getSystemAuthOfTenant.
 */
export async function getSystemAuth(id: string): Promise<SystemAuth | undefined> {
  const out = await dynamo().send(
    new GetCommand({ TableName: config().systemAuthsTable, Key: { id, sk: AUTH_SORT_KEY }, ConsistentRead: true }),
  );
  return out.Item ? fromSystemAuthItem(out.Item) : undefined;
}

/** The SystemAuth with this id if it belongs to the tenant; another tenant's behaves as missing. */
export async function getSystemAuthOfTenant(tenant: string, id: string): Promise<SystemAuth | undefined> {
  const auth = await getSystemAuth(id);
  return auth?.tenant === tenant ? auth : undefined;
}

/** Every SystemAuth of one application, oldest id order (the index's sort key). */
export async function listSystemAuthsOfApplication(tenant: string, appId: string): Promise<SystemAuth[]> {
  const auths: SystemAuth[] = [];
  let startKey: Item | undefined;
  do {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: config().systemAuthsTable,
        IndexName: 'byApplication',
        KeyConditionExpression: 'appKey = :appKey',
        // The index also holds certificate items of the application.
        FilterExpression: 'sk = :sk',
        ExpressionAttributeValues: { ':appKey': applicationKey(tenant, appId), ':sk': AUTH_SORT_KEY },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) auths.push(fromSystemAuthItem(item));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return auths;
}

/**
 * Records a successful authentication; false when the SystemAuth no longer exists or is no longer ACTIVE.
 * The status is part of the write's condition because authentication read it earlier: a revocation in
 * between must still stop the grant.
 */
export async function markSystemAuthUsed(id: string, at: Date = new Date()): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: config().systemAuthsTable,
        Key: { id, sk: AUTH_SORT_KEY },
        UpdateExpression: 'SET lastUsedAt = :at',
        ConditionExpression: 'attribute_exists(id) AND #status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':at': at.toISOString(), ':active': 'ACTIVE' satisfies SystemAuthStatus },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalFailure(error)) return false;
    throw error;
  }
}

/** Sets the status of the tenant's SystemAuth; undefined when the tenant has no such SystemAuth. */
export async function updateSystemAuthStatus(
  tenant: string,
  id: string,
  status: SystemAuthStatus,
): Promise<SystemAuth | undefined> {
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: config().systemAuthsTable,
        Key: { id, sk: AUTH_SORT_KEY },
        UpdateExpression: 'SET #status = :status',
        ConditionExpression: 'attribute_exists(id) AND tenant = :tenant',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':tenant': tenant },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? fromSystemAuthItem(out.Attributes) : undefined;
  } catch (error) {
    if (isConditionalFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Deletes the SystemAuth item and returns what was deleted; undefined when there was none, or when
 * it belongs to another tenant or is of another type than the ones given. Certificate items are not touched.
 */
export async function deleteSystemAuth(
  id: string,
  only: { tenant?: string; type?: SystemAuthType } = {},
): Promise<SystemAuth | undefined> {
  const conditions: string[] = [];
  const values: Item = {};
  if (only.tenant !== undefined) {
    conditions.push('tenant = :tenant');
    values[':tenant'] = only.tenant;
  }
  if (only.type !== undefined) {
    conditions.push('#type = :type');
    values[':type'] = only.type;
  }
  const condition = conditions.length === 0
    ? {}
    : {
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeValues: values,
        ...(only.type !== undefined ? { ExpressionAttributeNames: { '#type': 'type' } } : {}),
      };
  try {
    const out = await dynamo().send(
      new DeleteCommand({
        TableName: config().systemAuthsTable,
        Key: { id, sk: AUTH_SORT_KEY },
        ReturnValues: 'ALL_OLD',
        ...condition,
      }),
    );
    return out.Attributes ? fromSystemAuthItem(out.Attributes) : undefined;
  } catch (error) {
    if (isConditionalFailure(error)) return undefined;
    throw error;
  }
}
