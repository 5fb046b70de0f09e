// Per-tenant quotas: what each limit in shared/config.ts counts, the counter updates that enforce it, and the refusal a client sees.
import type { TransactItem } from './aws/transactions';
import { config } from './config';
import { QuotaExceededError } from './errors';

/** One per-tenant limit. */
export interface TenantQuota {
  /** What is counted, as the refusal names it ("applications"). */
  counted: string;
  /** The environment variable that sets the limit (README "Configuration"). */
  setting: string;
  /** How a caller frees a slot, as the refusal advises it. */
  freedBy: string;
  /** The limit now: read at each creation, so a changed configuration (resetConfig()) applies to the next one. */
  limit: () => number;
}

export const APPLICATIONS_QUOTA: TenantQuota = {
  counted: 'applications',
  setting: 'MAX_APPLICATIONS_PER_TENANT',
  freedBy: 'unregister one',
  limit: () => config().maxApplicationsPerTenant,
};

/** Live means not REVOKED; administrators' clients count as well as applications'. */
export const OAUTH_CLIENTS_QUOTA: TenantQuota = {
  counted: 'live OAuth clients',
  setting: 'MAX_OAUTH_CLIENTS_PER_TENANT',
  freedBy: "revoke one (an application's client credentials or an administrator)",
  limit: () => config().maxOAuthClientsPerTenant,
};

/** The attribute of a counter item that holds the number of slots taken. */
const COUNT_ATTRIBUTE = 'count';

/** Where a tenant's counter item lives: the owning repository's table and a key no other item of it can have. */
export interface QuotaCounter {
  table: string;
  key: Record<string, string>;
}

/**
 * Transaction item that takes one slot: adds 1 to the counter unless it has reached the limit (an absent
 * counter is 0). It goes into the transaction that creates the counted item, never before it: of many
 * concurrent creations DynamoDB lets exactly as many through as the counter has room for, with no
 * count-then-create window. A tenant whose counter is above a lowered limit creates nothing until it is below.
 */
export function quotaSlotTaken(quota: TenantQuota, counter: QuotaCounter): TransactItem {
  return {
    Update: {
      TableName: counter.table,
      Key: counter.key,
      UpdateExpression: 'ADD #count :one',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
      ExpressionAttributeNames: { '#count': COUNT_ATTRIBUTE },
      ExpressionAttributeValues: { ':one': 1, ':max': quota.limit() },
    },
  };
}

/**
 * Transaction item that frees one slot. It has no condition of its own: the item it travels with carries
 * the condition that makes the transition happen once (an application deleted once, a client revoked once).
 */
export function quotaSlotFreed(counter: QuotaCounter): TransactItem {
  return {
    Update: {
      TableName: counter.table,
      Key: counter.key,
      UpdateExpression: 'ADD #count :minusOne',
      ExpressionAttributeNames: { '#count': COUNT_ATTRIBUTE },
      ExpressionAttributeValues: { ':minusOne': -1 },
    },
  };
}

/** The refusal when quotaSlotTaken's condition failed: names the limit, the setting and the way out. */
export function quotaExceeded(quota: TenantQuota, tenant: string): QuotaExceededError {
  return new QuotaExceededError(
    `tenant ${tenant} has reached its limit of ${quota.limit()} ${quota.counted} (${quota.setting}); ${quota.freedBy} first`,
  );
}
