// crl-backfill (admin CLI): puts certificates revoked before CRLs existed into the byCrl index as pending, so the next
// build lists them. A Scan of the SystemAuths table: an administrator's one-off command, never run by a function.
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { FIRST_CA_ID } from '../certificates/ca-registry';
import { CRL_KEY_ATTRIBUTE, crlPendingKey } from './revocations';

type Item = Record<string, NativeAttributeValue>;

export interface BackfillOutcome {
  /** Records put into the index, by CA id. */
  markedByCa: Record<string, number>;
}

/**
 * Every revoked, unexpired certificate record without a CRL key gets "<caId>#pending" (ca-1 for records without a caId),
 * a revocation time of `now` when it has none (the real one was never recorded) and reason unspecified when it has none.
 * Each write is conditional on the record still lacking the key: running it twice, or beside revocations, is harmless.
 */
export async function backfillCrlEntries(client: DynamoDBDocumentClient, table: string, now: Date = new Date()): Promise<BackfillOutcome> {
  const markedByCa: Record<string, number> = {};
  let startKey: Item | undefined;
  do {
    const out = await client.send(
      new ScanCommand({
        TableName: table,
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
        await client.send(
          new UpdateCommand({
            TableName: table,
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
