// What a private_key_jwt grant writes to the SystemAuths table: the spent assertion id (jti) and the grant's use of its key.
// Apart from PublicKeyClientRepository so that the Director, which pairs and rotates but grants nothing, bundles none of it.
import { createHash } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds } from '../time';
import { isConditionalFailure, PUBLIC_KEYS_ATTRIBUTE } from './items';
import { PUBLIC_KEY_CLIENT_TYPE, PublicKeyClientRepository } from './private-key-jwt-clients';
import type { SystemAuthStatus } from './types';

/**
 * Sort key of a spent assertion id (`jti`) under its client's id: `{id: <clientId>, sk: "JTI#<sha256 hex of jti>",
 * expiresAt}`. Not "AUTH" and not "CERT#", so no read of a SystemAuth or of its certificates finds it; no `appKey`, so
 * not in byApplication. It leaves by the table's TTL (`expiresAt`) once the assertion could no longer be accepted.
 */
const assertionIdSortKey = (jti: string): string => `JTI#${createHash('sha256').update(jti, 'utf8').digest('hex')}`;

/** The token endpoint's view of PRIVATE_KEY_JWT clients: reading and revoking them, and recording grants. */
export class PublicKeyClientGrants extends PublicKeyClientRepository {
  /**
   * Records a grant made with key `kid`: false when the client is no longer ACTIVE or the key no longer live (a
   * revocation or removal between authentication and this write still stops the grant). Stamps the key's own
   * lastUsedAt in the same write when `stampKey` says it is due.
   */
  async markUsed(id: string, kid: string, at: Date, stampKey: boolean): Promise<boolean> {
    return this.updateIf(
      id,
      stampKey ? 'SET lastUsedAt = :at, #keys.#kid.lastUsedAt = :at' : 'SET lastUsedAt = :at',
      'attribute_exists(id) AND #type = :type AND #status = :active AND attribute_exists(#keys.#kid)',
      { '#keys': PUBLIC_KEYS_ATTRIBUTE, '#kid': kid, '#type': 'type', '#status': 'status' },
      { ':at': at.toISOString(), ':type': PUBLIC_KEY_CLIENT_TYPE, ':active': 'ACTIVE' satisfies SystemAuthStatus },
    );
  }

  /**
   * Spends an assertion id of the client: true the first time, false while an unexpired record of it exists (a replay).
   * One conditional write, so of two concurrent requests with the same assertion exactly one passes. `expiresAt` (epoch
   * seconds) is when the assertion can no longer be accepted anyway; a record past it (TTL deletes lazily) is overwritten.
   */
  async spendAssertionId(clientId: string, jti: string, expiresAt: number, now: Date): Promise<boolean> {
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: clientId, sk: assertionIdSortKey(jti) },
          UpdateExpression: 'SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(id) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':expiresAt': expiresAt, ':now': epochSeconds(now) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }
}
