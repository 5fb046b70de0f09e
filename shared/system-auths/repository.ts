// DynamoDB storage of SystemAuths (the auth item, sk "AUTH", of the SystemAuths table): what every type's item has. A type's
// own attributes have their own writers (oauth-client-records.ts, certificate-auths.ts).
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyedRead } from '../aws/batch-get';
import type { SystemAuth, SystemAuthStatus, SystemAuthType } from './types';
import { AUTH_SORT_KEY, CLIENT_SECRETS_ATTRIBUTE, applicationKey, fromSystemAuthItem, isConditionalFailure, toSystemAuthItem, updateAuthItemIf, type Item } from './items';

/** What a grant records of the secret it was made with (see markUsed). */
export interface ClientSecretUse {
  id: string;
  /** Stamp the secret's lastUsedAt in this write: only when it is stored and was stamped over a minute ago. */
  recordUse: boolean;
}

export class SystemAuthRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Stores a new SystemAuth; fails (ConditionalCheckFailedException) if the id is taken. An OAuth client is stored
   * through OAuthClientRecords.create instead, which counts it against its tenant's quota.
   */
  async create(auth: SystemAuth): Promise<void> {
    await this.dynamo.send(new PutCommand({ TableName: this.table, Item: toSystemAuthItem(auth), ConditionExpression: 'attribute_not_exists(id)' }));
  }

  /** The SystemAuth as one read of getTogether (the read of `get`, to go beside others in one round trip). */
  authRead(id: string): KeyedRead<SystemAuth> {
    return { table: this.table, key: { id, sk: AUTH_SORT_KEY }, decode: (item) => fromSystemAuthItem(item) };
  }

  /**
   * The SystemAuth with this id, whatever its tenant: only for callers that hold no tenant yet
   * (the token endpoint, bearer and certificate authentication). Everything else uses getOfTenant.
   */
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

  /** Updates the auth item if the condition holds; false when it does not (the item is then unchanged). */
  private updateIf(id: string, expression: string, condition: string, names: Record<string, string>, values: Item): Promise<boolean> {
    return updateAuthItemIf(this.dynamo, this.table, id, { expression, condition, names, values });
  }

  /**
   * Sets the status of the tenant's SystemAuth; undefined when the tenant has no such SystemAuth.
   * It does not touch the quota of OAuth clients: revoking one goes through OAuthClientRecords.revoke.
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
   * A live OAuth client deleted here would keep its quota slot: OAuthClientRecords.revoke comes first (OAuthClients does that).
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
}
