// DynamoDB storage of SystemAuths (the auth item, sk "AUTH", of the SystemAuths table) and of each tenant's count of live OAuth clients: the only writer of both.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyedRead } from '../aws/batch-get';
import { transactWrite, TransactionCancelledError, type TransactItem } from '../aws/transactions';
import { OAUTH_CLIENTS_QUOTA, quotaExceeded, quotaSlotFreed, quotaSlotTaken, type QuotaCounter, type QuotaLimits } from '../quotas';
import { INITIAL_CLIENT_SECRET_ID, MAX_LIVE_CLIENT_SECRETS, type ClientSecretRecord, type SystemAuth, type SystemAuthStatus, type SystemAuthType } from './types';
import {
  AUTH_SORT_KEY,
  CLIENT_SECRETS_ATTRIBUTE,
  CLIENT_SECRETS_MIGRATED_ATTRIBUTE,
  LATEST_TOKEN_EXPIRY_ATTRIBUTE,
  OAUTH_CLIENT,
  RETIRED_CLIENT_SECRETS_ATTRIBUTE,
  TOKEN_HASHES_ATTRIBUTE,
  applicationKey,
  fromSystemAuthItem,
  isConditionalFailure,
  oauthClientsCounterKey,
  secretEntry,
  secretMap,
  secretVerifierAttribute,
  toSystemAuthItem,
  type Item,
} from './items';


/** What a grant records of the secret it was made with (see markUsed). */
export interface ClientSecretUse {
  id: string;
  /** Stamp the secret's lastUsedAt in this write: only when it is stored and was stamped over a minute ago. */
  recordUse: boolean;
}

/** Outcome of removing one secret of an OAuth client. */
export type ClientSecretRemoval = 'removed' | 'refused';

/** A one-time token as its SystemAuth records it (the one-time-tokens module's OneTimeToken has these fields). */
export interface LinkedOneTimeToken {
  tokenHash: string;
  /** Epoch seconds. */
  expiresAt: number;
  tenant: string;
  appId: string;
  systemAuthId: string;
}

export class SystemAuthRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly limits: QuotaLimits<'maxOAuthClientsPerTenant'>,
  ) {}

  private oauthClientsCounterOf(tenant: string): QuotaCounter {
    return { table: this.table, key: oauthClientsCounterKey(tenant) };
  }

  /**
   * Stores a new SystemAuth; fails (ConditionalCheckFailedException, or a TransactionCancelledError naming
   * `systemAuth`) if the id is taken. An OAuth client that is not REVOKED takes a slot of its tenant's
   * quota in the same transaction: QuotaExceededError, with nothing written, when the tenant has
   * MAX_OAUTH_CLIENTS_PER_TENANT live clients. It gives the slot back only through revokeOAuthClient.
   */
  async create(auth: SystemAuth): Promise<void> {
    const put = { TableName: this.table, Item: toSystemAuthItem(auth), ConditionExpression: 'attribute_not_exists(id)' };
    if (auth.type !== OAUTH_CLIENT || auth.status === 'REVOKED') {
      await this.dynamo.send(new PutCommand(put));
      return;
    }
    const limit = this.limits().maxOAuthClientsPerTenant;
    try {
      await transactWrite(this.dynamo, { systemAuth: { Put: put }, quota: quotaSlotTaken(limit, this.oauthClientsCounterOf(auth.tenant)) });
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.conditionFailed('quota') && !error.conditionFailed('systemAuth')) {
        throw quotaExceeded(OAUTH_CLIENTS_QUOTA, limit, auth.tenant);
      }
      throw error;
    }
  }

  /**
   * Sets the tenant's OAuth client REVOKED and gives its slot of the quota back, in one transaction whose
   * condition (not REVOKED yet) makes the slot come back exactly once, however often or concurrently this
   * runs. False when there was nothing to change: no such client of the tenant, or already REVOKED.
   */
  async revokeOAuthClient(tenant: string, id: string): Promise<boolean> {
    try {
      await transactWrite(this.dynamo, {
        systemAuth: {
          Update: {
            TableName: this.table,
            Key: { id, sk: AUTH_SORT_KEY },
            UpdateExpression: 'SET #status = :revoked',
            ConditionExpression: 'attribute_exists(id) AND tenant = :tenant AND #type = :type AND #status <> :revoked',
            ExpressionAttributeNames: { '#status': 'status', '#type': 'type' },
            ExpressionAttributeValues: { ':revoked': 'REVOKED' satisfies SystemAuthStatus, ':tenant': tenant, ':type': OAUTH_CLIENT },
          },
        },
        quota: quotaSlotFreed(this.oauthClientsCounterOf(tenant)),
      });
      return true;
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.conditionFailed('systemAuth')) return false;
      throw error;
    }
  }

  /**
   * The SystemAuth with this id, whatever its tenant: only for callers that hold no tenant yet
   * (the token endpoint, bearer and certificate authentication). Everything else uses getOfTenant.
   */
  /** The SystemAuth as one read of getTogether (the read of `get`, to go beside others in one round trip). */
  authRead(id: string): KeyedRead<SystemAuth> {
    return { table: this.table, key: { id, sk: AUTH_SORT_KEY }, decode: (item) => fromSystemAuthItem(item) };
  }

  async get(id: string): Promise<SystemAuth | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { id, sk: AUTH_SORT_KEY }, ConsistentRead: true }));
    return out.Item ? fromSystemAuthItem(out.Item) : undefined;
  }

  /** The SystemAuth with this id if it belongs to the tenant; another tenant's behaves as missing. */
  async getOfTenant(tenant: string, id: string): Promise<SystemAuth | undefined> {
    const auth = await this.get(id);
    return auth?.tenant === tenant ? auth : undefined;
  }

  /** Every SystemAuth of one application, oldest id order (the index's sort key). */
  async listOfApplication(tenant: string, appId: string): Promise<SystemAuth[]> {
    const auths: SystemAuth[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.dynamo.send(
        new QueryCommand({
          TableName: this.table,
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
   * Records a successful authentication; false when the SystemAuth no longer exists or is no longer ACTIVE,
   * or when the secret it was made with (`secret`) is no longer live. Status and secret are part of the
   * write's condition because authentication read them earlier: a revocation in between must still stop the
   * grant. The secret's own lastUsedAt rides on this same write (no second write per grant), and only when
   * `secret.recordUse` says it is due.
   */
  async markUsed(id: string, at: Date = new Date(), secret?: ClientSecretUse): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Item = { ':at': at.toISOString(), ':active': 'ACTIVE' satisfies SystemAuthStatus };
    let update = 'SET lastUsedAt = :at';
    let condition = 'attribute_exists(id) AND #status = :active';
    if (secret !== undefined) {
      names['#secrets'] = CLIENT_SECRETS_ATTRIBUTE;
      names['#secretId'] = secret.id;
      // A client never rotated stores no list: its one secret (the initial one) is live while the client is.
      condition += ' AND (attribute_not_exists(#secrets) OR attribute_exists(#secrets.#secretId))';
      if (secret.recordUse) update += ', #secrets.#secretId.lastUsedAt = :at';
    }
    return this.updateIf(id, update, condition, names, values);
  }

  /**
   * Adds a live secret to the tenant's ACTIVE OAuth client of an application, as read in `auth`; false when the
   * condition failed (the client changed since, holds MAX_LIVE_CLIENT_SECRETS live secrets, or is gone): the caller
   * reads again to say why. The limit is the write's condition, so concurrent rotations never make a third.
   * A client never rotated gets its list here, its initial secret and the new one, on the condition that it
   * still has none (two first rotations racing: one wins, the other fails and reads two live secrets).
   */
  async addClientSecret(auth: SystemAuth, secret: ClientSecretRecord, initial: ClientSecretRecord, verifier?: Uint8Array): Promise<boolean> {
    const names: Record<string, string> = { '#secrets': CLIENT_SECRETS_ATTRIBUTE, '#status': 'status', '#type': 'type', '#kind': 'kind' };
    const values: Item = { ':tenant': auth.tenant, ':type': OAUTH_CLIENT, ':active': 'ACTIVE' satisfies SystemAuthStatus, ':application': 'APPLICATION' };
    let update: string;
    let condition = 'attribute_exists(id) AND tenant = :tenant AND #type = :type AND #kind = :application AND #status = :active AND ';
    if (auth.clientSecrets === undefined) {
      update = 'SET #secrets = :secrets';
      condition += 'attribute_not_exists(#secrets)';
      values[':secrets'] = secretMap([initial, secret]);
    } else {
      names['#new'] = secret.id;
      update = 'SET #secrets.#new = :secret';
      condition += 'size(#secrets) < :max AND attribute_not_exists(#secrets.#new)';
      values[':secret'] = secretEntry(secret);
      values[':max'] = MAX_LIVE_CLIENT_SECRETS;
    }
    if (verifier !== undefined) {
      // The new secret's verifier (CLIENT_SECRET_STORE=verifier) is written with the entry that makes it live.
      names['#verifier'] = secretVerifierAttribute(secret.id);
      values[':verifier'] = verifier;
      update += ', #verifier = :verifier';
    }
    return this.updateIf(auth.id, update, condition, names, values);
  }

  /** Updates the auth item if the condition holds; false when it does not (the item is then unchanged). */
  private async updateIf(id: string, update: string, condition: string, names: Record<string, string>, values: Item): Promise<boolean> {
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id, sk: AUTH_SORT_KEY },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Ends one live secret of the tenant's OAuth client and records its id as retired (its Secrets Manager secret is
   * deleted next, then forgetRetiredClientSecret). 'refused' when that is not a live secret of the client or is its
   * last one: the condition counts the live secrets, so two revocations racing never leave the client with none.
   */
  async removeClientSecret(tenant: string, id: string, secretId: string): Promise<ClientSecretRemoval> {
    const removed = await this.updateIf(
      id,
      'REMOVE #secrets.#secretId, #verifier ADD #retired :retired',
      'attribute_exists(id) AND tenant = :tenant AND #type = :type AND attribute_exists(#secrets.#secretId) AND size(#secrets) > :one',
      { '#secrets': CLIENT_SECRETS_ATTRIBUTE, '#secretId': secretId, '#retired': RETIRED_CLIENT_SECRETS_ATTRIBUTE, '#type': 'type', '#verifier': secretVerifierAttribute(secretId) },
      { ':tenant': tenant, ':type': OAUTH_CLIENT, ':one': 1, ':retired': new Set([secretId]) },
    );
    return removed ? 'removed' : 'refused';
  }

  /**
   * Stores the verifier of a live secret of an ACTIVE OAuth client that has none yet (migrate-client-secrets); false when
   * the secret is no longer live, the client no longer ACTIVE, or a verifier is there already (nothing is overwritten).
   */
  async setClientSecretVerifier(id: string, secretId: string, verifier: Uint8Array): Promise<boolean> {
    return this.updateIf(
      id,
      'SET #verifier = :verifier',
      'attribute_exists(id) AND #type = :type AND #status = :active AND attribute_not_exists(#verifier) AND ' +
        (secretId === INITIAL_CLIENT_SECRET_ID ? '(attribute_not_exists(#secrets) OR attribute_exists(#secrets.#secretId))' : 'attribute_exists(#secrets.#secretId)'),
      { '#verifier': secretVerifierAttribute(secretId), '#type': 'type', '#status': 'status', '#secrets': CLIENT_SECRETS_ATTRIBUTE, '#secretId': secretId },
      { ':verifier': verifier, ':type': OAUTH_CLIENT, ':active': 'ACTIVE' satisfies SystemAuthStatus },
    );
  }

  /** Records that no secret of the OAuth client is left in Secrets Manager (migrate-client-secrets skips it from then on). */
  async markClientSecretsMigrated(id: string, at: Date): Promise<boolean> {
    return this.updateIf(id, 'SET #migrated = :at', 'attribute_exists(id)', { '#migrated': CLIENT_SECRETS_MIGRATED_ATTRIBUTE }, { ':at': at.toISOString() });
  }

  /**
   * One page of the table's OAuth clients, each with whether migrate-client-secrets finished it, and where the next
   * page starts (undefined after the last). A Scan: only the migration, run once per stage, reads the whole table.
   */
  async oauthClientsPage(startKey?: Item): Promise<{ clients: { auth: SystemAuth; migrated: boolean }[]; next?: Item }> {
    const out = await this.dynamo.send(
      new ScanCommand({
        TableName: this.table,
        FilterExpression: 'sk = :sk AND #type = :type',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':sk': AUTH_SORT_KEY, ':type': OAUTH_CLIENT },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    const clients = (out.Items ?? []).map((item) => ({ auth: fromSystemAuthItem(item), migrated: item[CLIENT_SECRETS_MIGRATED_ATTRIBUTE] !== undefined }));
    return { clients, next: out.LastEvaluatedKey };
  }

  /** Drops a retired secret's id once its Secrets Manager secret is deleted. */
  async forgetRetiredClientSecret(id: string, secretId: string): Promise<void> {
    await this.dynamo.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { id, sk: AUTH_SORT_KEY },
        UpdateExpression: 'DELETE #retired :retired',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeNames: { '#retired': RETIRED_CLIENT_SECRETS_ATTRIBUTE },
        ExpressionAttributeValues: { ':retired': new Set([secretId]) },
      }),
    ).catch((error: unknown) => {
      if (!isConditionalFailure(error)) throw error;
    });
  }

  /** Ids of every secret of the OAuth client that may still exist in Secrets Manager: live and retired ones (empty when the item is gone). */
  async clientSecretIdsOf(id: string): Promise<string[]> {
    const out = await this.dynamo.send(
      new GetCommand({
        TableName: this.table,
        Key: { id, sk: AUTH_SORT_KEY },
        ProjectionExpression: '#secrets, #retired',
        ExpressionAttributeNames: { '#secrets': CLIENT_SECRETS_ATTRIBUTE, '#retired': RETIRED_CLIENT_SECRETS_ATTRIBUTE },
        ConsistentRead: true,
      }),
    );
    const live = out.Item?.[CLIENT_SECRETS_ATTRIBUTE] as Record<string, unknown> | undefined;
    const retired: unknown = out.Item?.[RETIRED_CLIENT_SECRETS_ATTRIBUTE];
    return [...Object.keys(live ?? {}), ...(retired instanceof Set ? [...(retired as Set<string>)] : [])];
  }

  /**
   * Sets the status of the tenant's SystemAuth; undefined when the tenant has no such SystemAuth.
   * It does not touch the quota of OAuth clients: revoking one goes through revokeOAuthClient.
   */
  async updateStatus(tenant: string, id: string, status: SystemAuthStatus): Promise<SystemAuth | undefined> {
    try {
      const out = await this.dynamo.send(
        new UpdateCommand({
          TableName: this.table,
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
   * A live OAuth client deleted here would keep its quota slot: revokeOAuthClient comes first (OAuthClients does that).
   */
  async delete(id: string, only: { tenant?: string; type?: SystemAuthType } = {}): Promise<SystemAuth | undefined> {
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
      const out = await this.dynamo.send(
        new DeleteCommand({ TableName: this.table, Key: { id, sk: AUTH_SORT_KEY }, ReturnValues: 'ALL_OLD', ...condition }),
      );
      return out.Attributes ? fromSystemAuthItem(out.Attributes) : undefined;
    } catch (error) {
      if (isConditionalFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Transaction item that records a new one-time token's hash and expiry on its SystemAuth (the expiry is
   * what turns a never-finished pairing EXPIRED). Its condition is what makes issuance safe: a token is
   * only ever issued for an existing CLIENT_CERTIFICATE SystemAuth of that application in one of `statuses`
   * (never a revoked one). With `first`, only for one that has no token yet: a pairing's CONFIGURATION token is
   * issued once, whoever invokes the tokens function and however often.
   */
  oneTimeTokenLink(
    token: LinkedOneTimeToken,
    statuses: readonly ('PENDING' | 'ACTIVE')[] = ['PENDING', 'ACTIVE'],
    options: { first?: boolean } = {},
  ): TransactItem {
    const allowed = Object.fromEntries(statuses.map((status, index) => [`:allowed${index}`, status]));
    return {
      Update: {
        TableName: this.table,
        Key: { id: token.systemAuthId, sk: AUTH_SORT_KEY },
        UpdateExpression: 'ADD #hashes :hash SET #latestExpiry = :expiresAt',
        ConditionExpression:
          `attribute_exists(id) AND tenant = :tenant AND appId = :appId AND #type = :type AND #status IN (${Object.keys(allowed).join(', ')})` +
          (options.first ? ' AND attribute_not_exists(#hashes)' : ''),
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
          ':type': 'CLIENT_CERTIFICATE' satisfies SystemAuthType,
          ...allowed,
        },
      },
    };
  }

  /**
   * Transaction item that makes the SystemAuth ACTIVE once it holds a certificate; it fails for a SystemAuth
   * that is gone, of another tenant, or REVOKED/EXPIRED, so no certificate is recorded for a revoked lineage.
   */
  activation(systemAuthId: string, tenant: string): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: { id: systemAuthId, sk: AUTH_SORT_KEY },
        UpdateExpression: 'SET #status = :active',
        ConditionExpression: 'attribute_exists(id) AND tenant = :tenant AND #status IN (:pending, :active)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':tenant': tenant, ':pending': 'PENDING', ':active': 'ACTIVE' },
      },
    };
  }

  /** Hashes of every one-time token issued for the SystemAuth (empty when it has none or no longer exists). */
  async oneTimeTokenHashesOf(systemAuthId: string): Promise<string[]> {
    const out = await this.dynamo.send(
      new GetCommand({
        TableName: this.table,
        Key: { id: systemAuthId, sk: AUTH_SORT_KEY },
        ProjectionExpression: '#hashes',
        ExpressionAttributeNames: { '#hashes': TOKEN_HASHES_ATTRIBUTE },
        ConsistentRead: true,
      }),
    );
    const hashes: unknown = out.Item?.[TOKEN_HASHES_ATTRIBUTE];
    return hashes instanceof Set ? [...(hashes as Set<string>)] : [];
  }
}
