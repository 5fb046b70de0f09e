// The writes every kind of OAuth client (client credentials, private_key_jwt) shares: its SystemAuth created and
// revoked together with its slot of the tenant's MAX_OAUTH_CLIENTS_PER_TENANT, in one transaction each.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { transactWrite, TransactionCancelledError } from '../aws/transactions';
import { OAUTH_CLIENTS_QUOTA, quotaExceeded, quotaSlotFreed, quotaSlotTaken, type QuotaCounter } from '../quotas';
import { AUTH_SORT_KEY, oauthClientsCounterKey, toSystemAuthItem } from './items';
import type { SystemAuth, SystemAuthStatus, SystemAuthType } from './types';

const counterOf = (table: string, tenant: string): QuotaCounter => ({ table, key: oauthClientsCounterKey(tenant) });

/**
 * Stores a new OAuth client and takes a slot of its tenant's quota in the same transaction: QuotaExceededError, with
 * nothing written, when none is free; a TransactionCancelledError naming `systemAuth` when the id is taken.
 */
export async function createCountedClient(dynamo: DynamoDBDocumentClient, table: string, limit: number, auth: SystemAuth): Promise<void> {
  try {
    await transactWrite(dynamo, {
      systemAuth: { Put: { TableName: table, Item: toSystemAuthItem(auth), ConditionExpression: 'attribute_not_exists(id)' } },
      quota: quotaSlotTaken(limit, counterOf(table, auth.tenant)),
    });
  } catch (error) {
    if (error instanceof TransactionCancelledError && error.conditionFailed('quota') && !error.conditionFailed('systemAuth')) {
      throw quotaExceeded(OAUTH_CLIENTS_QUOTA, limit, auth.tenant);
    }
    throw error;
  }
}

/**
 * Sets the tenant's client of `type` REVOKED and gives its slot of the quota back, in one transaction whose condition
 * (not REVOKED yet) makes the slot come back exactly once, however often or concurrently this runs. False when there
 * was nothing to change: no such client of the tenant, or already REVOKED.
 */
export async function revokeCountedClient(dynamo: DynamoDBDocumentClient, table: string, tenant: string, id: string, type: SystemAuthType): Promise<boolean> {
  try {
    await transactWrite(dynamo, {
      systemAuth: {
        Update: {
          TableName: table,
          Key: { id, sk: AUTH_SORT_KEY },
          UpdateExpression: 'SET #status = :revoked',
          ConditionExpression: 'attribute_exists(id) AND tenant = :tenant AND #type = :type AND #status <> :revoked',
          ExpressionAttributeNames: { '#status': 'status', '#type': 'type' },
          ExpressionAttributeValues: { ':revoked': 'REVOKED' satisfies SystemAuthStatus, ':tenant': tenant, ':type': type },
        },
      },
      quota: quotaSlotFreed(counterOf(table, tenant)),
    });
    return true;
  } catch (error) {
    if (error instanceof TransactionCancelledError && error.conditionFailed('systemAuth')) return false;
    throw error;
  }
}
