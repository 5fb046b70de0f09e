// DynamoDB storage of PRIVATE_KEY_JWT clients (SystemAuths authenticated by a signed assertion) and their public keys; grants are private-key-jwt-grants.ts.
import { DeleteCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { QuotaLimits } from '../quotas';
import { createCountedClient, revokeCountedClient } from './oauth-client-quota';
import {
  AUTH_SORT_KEY,
  updateAuthItemIf,
  PUBLIC_KEYS_ATTRIBUTE,
  fromSystemAuthItem,
  isConditionalFailure,
  publicKeyEntry,
  type Item,
} from './items';
import { MAX_LIVE_PUBLIC_KEYS, type ClientPublicKeyRecord, type SystemAuth, type SystemAuthStatus, type SystemAuthType } from './types';

/** The SystemAuth type of an OAuth client that proves itself with assertions signed by its own key (the PRIVATE_KEY_JWT adapter's). */
export const PUBLIC_KEY_CLIENT_TYPE = 'PRIVATE_KEY_JWT' satisfies SystemAuthType;

export class PublicKeyClientRepository {
  constructor(
    protected readonly dynamo: DynamoDBDocumentClient,
    protected readonly table: string,
    private readonly limits: QuotaLimits<'maxOAuthClientsPerTenant'>,
  ) {}

  /**
   * Stores a new ACTIVE PRIVATE_KEY_JWT client with its first key. It is an OAuth client: it takes a slot of the tenant's
   * MAX_OAUTH_CLIENTS_PER_TENANT in the same transaction (QuotaExceededError, nothing written, when none is free).
   */
  async create(auth: SystemAuth): Promise<void> {
    if (auth.type !== PUBLIC_KEY_CLIENT_TYPE || auth.status !== 'ACTIVE') throw new Error('PublicKeyClientRepository.create stores ACTIVE PRIVATE_KEY_JWT clients only');
    await createCountedClient(this.dynamo, this.table, this.limits().maxOAuthClientsPerTenant, auth);
  }

  /** The PRIVATE_KEY_JWT client with this id, whatever its tenant (the token endpoint holds none yet), read consistently. */
  async get(id: string): Promise<SystemAuth | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { id, sk: AUTH_SORT_KEY }, ConsistentRead: true }));
    if (!out.Item || out.Item.type !== PUBLIC_KEY_CLIENT_TYPE) return undefined;
    return fromSystemAuthItem(out.Item);
  }

  /**
   * Adds a live key to the tenant's ACTIVE client; false when the condition failed (it holds MAX_LIVE_PUBLIC_KEYS keys,
   * already has this one, changed status or is gone): the caller reads again to say why. The limit is the write's
   * condition, so concurrent additions never make a third.
   */
  async addKey(tenant: string, id: string, key: ClientPublicKeyRecord): Promise<boolean> {
    return this.updateIf(
      id,
      'SET #keys.#kid = :key',
      'attribute_exists(id) AND tenant = :tenant AND #type = :type AND #status = :active AND size(#keys) < :max AND attribute_not_exists(#keys.#kid)',
      { '#keys': PUBLIC_KEYS_ATTRIBUTE, '#kid': key.kid, '#type': 'type', '#status': 'status' },
      { ':key': publicKeyEntry(key), ':tenant': tenant, ':type': PUBLIC_KEY_CLIENT_TYPE, ':active': 'ACTIVE' satisfies SystemAuthStatus, ':max': MAX_LIVE_PUBLIC_KEYS },
    );
  }

  /**
   * Ends one live key of the tenant's client: assertions it signs are refused from the next request on. False when it is
   * not a live key of the client or is its last: the condition counts the keys, so two removals racing never leave none.
   */
  async removeKey(tenant: string, id: string, kid: string): Promise<boolean> {
    return this.updateIf(
      id,
      'REMOVE #keys.#kid',
      'attribute_exists(id) AND tenant = :tenant AND #type = :type AND attribute_exists(#keys.#kid) AND size(#keys) > :one',
      { '#keys': PUBLIC_KEYS_ATTRIBUTE, '#kid': kid, '#type': 'type' },
      { ':tenant': tenant, ':type': PUBLIC_KEY_CLIENT_TYPE, ':one': 1 },
    );
  }

  /**
   * Sets the tenant's client REVOKED and gives its quota slot back, once however often this runs (the condition: not
   * REVOKED yet); false when there was nothing to change. Refused by the token endpoint from this moment on.
   */
  revoke(tenant: string, id: string): Promise<boolean> {
    return revokeCountedClient(this.dynamo, this.table, tenant, id, PUBLIC_KEY_CLIENT_TYPE);
  }

  /**
   * Ends the tenant's client: REVOKED first (refused at once, its quota slot given back), then the item is deleted. A
   * retry after a failure between the two finishes it.
   */
  async end(tenant: string, id: string): Promise<void> {
    await this.revoke(tenant, id);
    await this.delete(tenant, id);
  }

  /** Deletes the tenant's REVOKED client item (revoke first: a live one would keep its quota slot). */
  async delete(tenant: string, id: string): Promise<void> {
    try {
      await this.dynamo.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { id, sk: AUTH_SORT_KEY },
          ConditionExpression: 'tenant = :tenant AND #type = :type AND #status = :revoked',
          ExpressionAttributeNames: { '#type': 'type', '#status': 'status' },
          ExpressionAttributeValues: { ':tenant': tenant, ':type': PUBLIC_KEY_CLIENT_TYPE, ':revoked': 'REVOKED' satisfies SystemAuthStatus },
        }),
      );
    } catch (error) {
      // Gone already (a retry), or not this tenant's REVOKED client: nothing of ours to delete.
      if (!isConditionalFailure(error)) throw error;
    }
  }

  protected updateIf(id: string, expression: string, condition: string, names: Record<string, string>, values: Item): Promise<boolean> {
    return updateAuthItemIf(this.dynamo, this.table, id, { expression, condition, names, values });
  }
}
