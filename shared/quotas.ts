// Quotas: what each limit in shared/config.ts counts (per tenant, or per SystemAuth), the counter updates that enforce it, and the refusal a client sees.
import type { TransactItem } from './aws/transactions';
import type { Config } from './config';
import { LiveCertificateLimitError, QuotaExceededError } from './errors';

/** The settings the limits come from (shared/config.ts). */
export type QuotaSettings = Pick<Config, 'maxApplicationsPerTenant' | 'maxOAuthClientsPerTenant' | 'maxLiveCertificates' | 'maxUnexpiredCertificates'>;

/**
 * Where an owner of a counted item reads its limit: a source the composition root hands in, read at each creation, so a
 * changed configuration applies to the next one.
 */
export type QuotaLimits<K extends keyof QuotaSettings = keyof QuotaSettings> = () => Pick<QuotaSettings, K>;

/** One limit, counted per tenant or per SystemAuth. */
export interface Quota {
  /** What is counted, as the refusal names it ("applications"). */
  counted: string;
  /** The environment variable that sets the limit (README "Configuration"). */
  setting: string;
  /** How a caller frees a slot, as the refusal advises it. */
  freedBy: string;
  /** The setting of QuotaSettings that holds the limit. */
  limitIn: keyof QuotaSettings;
}

export const APPLICATIONS_QUOTA: Quota = {
  counted: 'applications',
  setting: 'MAX_APPLICATIONS_PER_TENANT',
  freedBy: 'unregister one',
  limitIn: 'maxApplicationsPerTenant',
};

/** Live means not REVOKED; administrators' clients count as well as applications'. */
export const OAUTH_CLIENTS_QUOTA: Quota = {
  counted: 'live OAuth clients',
  setting: 'MAX_OAUTH_CLIENTS_PER_TENANT',
  freedBy: "revoke one (an application's client credentials or an administrator)",
  limitIn: 'maxOAuthClientsPerTenant',
};

/**
 * Unexpired, unrevoked certificates one SystemAuth may hold at once: every renewal and every
 * redemption of a CSR token takes a slot. Unlike the tenant quotas its counter may be missing or too high
 * (certificates expire without a write): see certificateCountersReconciled in shared/system-auths/certificate-records.ts.
 */
export const LIVE_CERTIFICATES_QUOTA: Quota = {
  counted: 'live (unexpired, unrevoked) certificates',
  setting: 'MAX_LIVE_CERTIFICATES',
  freedBy:
    'revoke one first: revokeCertificate over mTLS with the certificate to end, retirePreviousCertificate over mTLS with a renewed ' +
    "certificate (ends the one it was renewed from), or the Director's revokeIssuedCertificate",
  limitIn: 'maxLiveCertificates',
};

/**
 * Unexpired certificates one SystemAuth may have been issued, revoked ones included: a revoked certificate's record stays
 * until the certificate expires (its revocation must stay known), so without this bound an application that renews and
 * revokes in a loop would fill the table for a whole validity period while holding few live certificates. A revocation
 * frees no slot here: only expiry does. Counted and reconciled like LIVE_CERTIFICATES_QUOTA.
 */
export const UNEXPIRED_CERTIFICATES_QUOTA: Quota = {
  counted: 'unexpired certificates, revoked ones included',
  setting: 'MAX_UNEXPIRED_CERTIFICATES',
  freedBy:
    'a revocation does not free these, each frees its slot when it expires (CERTIFICATE_VALIDITY_DAYS after issue); ' +
    'until then an administrator can pair the application again (generateAuthForApplication, a new SystemAuth)',
  limitIn: 'maxUnexpiredCertificates',
};

/** The attribute of a counter item that holds the number of slots taken. */
export const QUOTA_COUNT_ATTRIBUTE = 'count';

/** Options of a counter that is not created by its first slot (LIVE_CERTIFICATES_QUOTA). */
export interface CounterOptions {
  /**
   * The slot is taken or freed only on a counter item that exists: an absent counter is unknown, not 0, and the
   * owner counts the items (reconciles) before it takes a slot. Freeing a slot of an absent counter fails too, so no
   * negative counter is ever created.
   */
  counterMustExist?: boolean;
  /** Epoch seconds: the counter item's DynamoDB TTL (`expiresAt`), renewed by each slot taken. */
  expiresAt?: number;
}

/** Where a counter item lives (a tenant's or a SystemAuth's): the owning repository's table and a key no other item of it can have. */
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
export function quotaSlotTaken(limit: number, counter: QuotaCounter, options: CounterOptions = {}): TransactItem {
  const ttl = options.expiresAt === undefined ? {} : { names: { '#expiresAt': 'expiresAt' }, values: { ':expiresAt': options.expiresAt } };
  return {
    Update: {
      TableName: counter.table,
      Key: counter.key,
      UpdateExpression: options.expiresAt === undefined ? 'ADD #count :one' : 'ADD #count :one SET #expiresAt = :expiresAt',
      ConditionExpression: options.counterMustExist ? 'attribute_exists(#count) AND #count < :max' : 'attribute_not_exists(#count) OR #count < :max',
      ExpressionAttributeNames: { '#count': QUOTA_COUNT_ATTRIBUTE, ...ttl.names },
      ExpressionAttributeValues: { ':one': 1, ':max': limit, ...ttl.values },
    },
  };
}

/**
 * Transaction item that frees one slot. It has no condition of its own: the item it travels with carries
 * the condition that makes the transition happen once (an application deleted once, a client revoked once).
 */
export function quotaSlotFreed(counter: QuotaCounter, options: Pick<CounterOptions, 'counterMustExist'> = {}): TransactItem {
  return {
    Update: {
      TableName: counter.table,
      Key: counter.key,
      UpdateExpression: 'ADD #count :minusOne',
      ...(options.counterMustExist ? { ConditionExpression: 'attribute_exists(#count)' } : {}),
      ExpressionAttributeNames: { '#count': QUOTA_COUNT_ATTRIBUTE },
      ExpressionAttributeValues: { ':minusOne': -1 },
    },
  };
}

/**
 * Transaction item that creates a counter with its first slot taken, for an owner that knows nothing was counted before
 * (a SystemAuth's first certificate). It fails (ConditionalCheckFailed) when the counter exists: the owner then takes a
 * slot the usual way.
 */
export function quotaCounterStarted(counter: QuotaCounter, expiresAt: number): TransactItem {
  return {
    Put: {
      TableName: counter.table,
      Item: { ...counter.key, [QUOTA_COUNT_ATTRIBUTE]: 1, expiresAt },
      ConditionExpression: 'attribute_not_exists(#count)',
      ExpressionAttributeNames: { '#count': QUOTA_COUNT_ATTRIBUTE },
    },
  };
}

/**
 * The update that sets a counter to a number its owner counted, on the condition that the counter is still the
 * one it read before counting (`seen`, undefined for an absent counter). Every change of what is counted changes
 * the counter in the same transaction, so an unchanged counter means nothing counted was added or freed since:
 * the number counted is still an upper bound of what is live. A counter changed meanwhile is left alone.
 */
export function quotaCounterReconciled(counter: QuotaCounter, counted: number, seen: number | undefined, expiresAt: number): TransactItem {
  return {
    Update: {
      TableName: counter.table,
      Key: counter.key,
      UpdateExpression: 'SET #count = :counted, #expiresAt = :expiresAt',
      ConditionExpression: seen === undefined ? 'attribute_not_exists(#count)' : '#count = :seen',
      ExpressionAttributeNames: { '#count': QUOTA_COUNT_ATTRIBUTE, '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':counted': counted, ':expiresAt': expiresAt, ...(seen === undefined ? {} : { ':seen': seen }) },
    },
  };
}

/** The refusal when quotaSlotTaken's condition failed: names the limit, the setting and the way out. */
export function quotaExceeded(quota: Quota, limit: number, tenant: string): QuotaExceededError {
  return new QuotaExceededError(
    `tenant ${tenant} has reached its limit of ${limit} ${quota.counted} (${quota.setting}); ${quota.freedBy} first`,
  );
}

/**
 * The refusal of a certificate beyond LIVE_CERTIFICATES_QUOTA or UNEXPIRED_CERTIFICATES_QUOTA (`quota`): names the limit,
 * the setting and the ways to free a slot.
 */
export function certificateLimitReached(systemAuthId: string, quota: Quota, limit: number): LiveCertificateLimitError {
  return new LiveCertificateLimitError(
    `SystemAuth ${systemAuthId} has reached its limit of ${limit} ${quota.counted} (${quota.setting}); ${quota.freedBy}`,
  );
}
