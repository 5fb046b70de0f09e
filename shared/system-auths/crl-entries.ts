// The revoked, unexpired certificates of one CA, read from the byCrl index (never a Scan), and marking them published;
// and the admin CLI's one-off backfill of records revoked before CRLs existed.
import { QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { isRevocationReason, type CrlEntry } from '../certificates/crl';
import { FIRST_CA_ID } from '../certificates/ca-registry';
import { CRL_INDEX, CRL_KEY_ATTRIBUTE, crlPendingKey, crlPublishedKey } from './crl-keys';

type Item = Record<string, NativeAttributeValue>;

/** A CRL entry and the record it came from (its key, and whether it still waits for a published CRL). */
export interface RevokedRecord extends CrlEntry {
  key: { id: string; sk: string };
  pending: boolean;
}

function toRecord(item: Item, pending: boolean): RevokedRecord {
  const revokedAt = new Date(typeof item.revokedAt === 'string' ? item.revokedAt : NaN);
  return {
    key: { id: item.id, sk: item.sk },
    pending,
    serialNumber: String(item.serialNumber),
    // A record revoked without a time (none is written so) is listed as revoked now rather than left out.
    revokedAt: Number.isNaN(revokedAt.getTime()) ? new Date() : revokedAt,
    reason: isRevocationReason(item.revocationReason) ? item.revocationReason : 'unspecified',
  };
}

export interface BackfillOutcome {
  /** Records put into the index, by CA id. */
  markedByCa: Record<string, number>;
}

export class CrlEntryRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private async query(crlKey: string, now: Date, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: CRL_INDEX,
          // notAfter is RFC 3339 from toISOString: the string order is the time order, so expired records are not read.
          KeyConditionExpression: '#key = :key AND notAfter > :now',
          ExpressionAttributeNames: { '#key': CRL_KEY_ATTRIBUTE },
          ExpressionAttributeValues: { ':key': crlKey, ':now': now.toISOString() },
          ExclusiveStartKey: startKey,
          Limit: limit,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = limit === undefined ? out.LastEvaluatedKey : undefined;
    } while (startKey);
    return items;
  }

  /** Every revoked certificate of CA `caId` that has not expired at `now`: published and pending ones. */
  async revokedOf(caId: string, now: Date): Promise<RevokedRecord[]> {
    const [published, pending] = await Promise.all([this.query(crlPublishedKey(caId), now), this.query(crlPendingKey(caId), now)]);
    return [...published.map((item) => toRecord(item, false)), ...pending.map((item) => toRecord(item, true))];
  }

  /** Whether CA `caId` has a revocation that no published CRL lists yet (one item read at most). */
  async hasPending(caId: string, now: Date): Promise<boolean> {
    return (await this.query(crlPendingKey(caId), now, 1)).length > 0;
  }

  /** Moves the records from pending to published, after a CRL listing them is in place; each only if still pending. */
  async markPublished(caId: string, records: readonly RevokedRecord[]): Promise<void> {
    const pending = records.filter((record) => record.pending);
    // A few at a time: a burst of revocations is a burst of small writes, not one item's contention.
    for (let start = 0; start < pending.length; start += 16) {
      await Promise.all(
        pending.slice(start, start + 16).map(async (record) => {
          try {
            await this.client.send(
              new UpdateCommand({
                TableName: this.table,
                Key: record.key,
                UpdateExpression: 'SET #key = :published',
                ConditionExpression: '#key = :pending',
                ExpressionAttributeNames: { '#key': CRL_KEY_ATTRIBUTE },
                ExpressionAttributeValues: { ':published': crlPublishedKey(caId), ':pending': crlPendingKey(caId) },
              }),
            );
          } catch (error) {
            // Gone (TTL) or already moved by a concurrent build: nothing to do.
            if ((error as { name?: string } | null)?.name !== 'ConditionalCheckFailedException') throw error;
          }
        }),
      );
    }
  }

  /**
   * crl-backfill (admin CLI; a Scan, never run by a function): every revoked, unexpired certificate record without a CRL key gets "<caId>#pending" (ca-1 for records without a caId),
   * a revocation time of `now` when it has none (the real one was never recorded) and reason unspecified when it has none.
   * Each write is conditional on the record still lacking the key: running it twice, or beside revocations, is harmless.
   */
  async backfill(now: Date = new Date()): Promise<BackfillOutcome> {
    const markedByCa: Record<string, number> = {};
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.table,
          // notAfter is RFC 3339 from toISOString: the string order is the time order.
          FilterExpression: 'begins_with(sk, :prefix) AND revoked = :true AND attribute_not_exists(#key) AND notAfter > :now',
          ExpressionAttributeNames: { '#key': CRL_KEY_ATTRIBUTE },
          ExpressionAttributeValues: { ':prefix': 'CERT#', ':true': true, ':now': now.toISOString() },
          ProjectionExpression: 'id, sk, caId',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const caId = typeof item.caId === 'string' ? item.caId : FIRST_CA_ID;
        try {
          await this.client.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { id: item.id, sk: item.sk },
              UpdateExpression: 'SET #key = :pending, revokedAt = if_not_exists(revokedAt, :now), revocationReason = if_not_exists(revocationReason, :reason)',
              ConditionExpression: 'attribute_not_exists(#key) AND revoked = :true',
              ExpressionAttributeNames: { '#key': CRL_KEY_ATTRIBUTE },
              ExpressionAttributeValues: { ':pending': crlPendingKey(caId), ':now': now.toISOString(), ':reason': 'unspecified', ':true': true },
            }),
          );
          markedByCa[caId] = (markedByCa[caId] ?? 0) + 1;
        } catch (error) {
          // A revocation or another backfill wrote the key meanwhile.
          if ((error as { name?: string } | null)?.name !== 'ConditionalCheckFailedException') throw error;
        }
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return { markedByCa };
  }
}
