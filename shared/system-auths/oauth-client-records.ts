// The OAuth client credentials type's own storage in the SystemAuths table: its clients' creation and revocation with
// the tenant's count of live OAuth clients, and its secrets' entries (ids, verifiers, retired ids), never a secret's value.
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { QuotaLimits } from '../quotas';
import { createCountedClient, revokeCountedClient } from './oauth-client-quota';
import { INITIAL_CLIENT_SECRET_ID, MAX_LIVE_CLIENT_SECRETS, type ClientSecretRecord, type SystemAuth, type SystemAuthStatus, type SystemAuthType } from './types';
import {
  AUTH_SORT_KEY,
  updateAuthItemIf,
  CLIENT_SECRETS_ATTRIBUTE,
  CLIENT_SECRETS_MIGRATED_ATTRIBUTE,
  RETIRED_CLIENT_SECRETS_ATTRIBUTE,
  fromSystemAuthItem,
  isConditionalFailure,
  secretEntry,
  secretMap,
  secretVerifierAttribute,
  toSystemAuthItem,
  type Item,
} from './items';

/** The SystemAuth type of an OAuth client (the OAUTH2_CLIENT_CREDENTIALS adapter's, and every administrator's). */
export const OAUTH_CLIENT_TYPE = 'OAUTH2_CLIENT_CREDENTIALS' satisfies SystemAuthType;

/** Outcome of removing one secret of an OAuth client. */
export type ClientSecretRemoval = 'removed' | 'refused';

/** OAuth clients' items beyond what every SystemAuth has: the only writer of their secrets' entries and of the quota counter. */
export class OAuthClientRecords {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly limits: QuotaLimits<'maxOAuthClientsPerTenant'>,
  ) {}

  /**
   * Stores a new SystemAuth; fails (ConditionalCheckFailedException, or a TransactionCancelledError naming
   * `systemAuth`) if the id is taken. An OAuth client that is not REVOKED takes a slot of its tenant's
   * quota in the same transaction: QuotaExceededError, with nothing written, when the tenant has
   * MAX_OAUTH_CLIENTS_PER_TENANT live clients. It gives the slot back only through revoke.
   */
  async create(auth: SystemAuth): Promise<void> {
    if (auth.type !== OAUTH_CLIENT_TYPE) throw new Error(`not an OAuth client: ${auth.type}`);
    if (auth.status === 'REVOKED') {
      await this.dynamo.send(new PutCommand({ TableName: this.table, Item: toSystemAuthItem(auth), ConditionExpression: 'attribute_not_exists(id)' }));
      return;
    }
    await createCountedClient(this.dynamo, this.table, this.limits().maxOAuthClientsPerTenant, auth);
  }

  /**
   * Sets the tenant's OAuth client REVOKED and gives its slot of the quota back, in one transaction whose
   * condition (not REVOKED yet) makes the slot come back exactly once, however often or concurrently this
   * runs. False when there was nothing to change: no such client of the tenant, or already REVOKED.
   */
  revoke(tenant: string, id: string): Promise<boolean> {
    return revokeCountedClient(this.dynamo, this.table, tenant, id, OAUTH_CLIENT_TYPE);
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
    const values: Item = { ':tenant': auth.tenant, ':type': OAUTH_CLIENT_TYPE, ':active': 'ACTIVE' satisfies SystemAuthStatus, ':application': 'APPLICATION' };
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
      { ':tenant': tenant, ':type': OAUTH_CLIENT_TYPE, ':one': 1, ':retired': new Set([secretId]) },
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
      { ':verifier': verifier, ':type': OAUTH_CLIENT_TYPE, ':active': 'ACTIVE' satisfies SystemAuthStatus },
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
        ExpressionAttributeValues: { ':sk': AUTH_SORT_KEY, ':type': OAUTH_CLIENT_TYPE },
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

  /** Updates the auth item if the condition holds; false when it does not (the item is then unchanged). */
  private updateIf(id: string, expression: string, condition: string, names: Record<string, string>, values: Item): Promise<boolean> {
    return updateAuthItemIf(this.dynamo, this.table, id, { expression, condition, names, values });
  }
}
