// Storage of the certificates issued to a SystemAuth (certificate-items.ts says what an item holds) and of the
// SystemAuth's counters of live and of unexpired certificates that bound them.
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyedRead } from '../aws/batch-get';
import { transactWrite, TransactionCancelledError, type NamedTransactItems, type TransactItem } from '../aws/transactions';
import type { Config } from '../config';
import {
  QUOTA_COUNT_ATTRIBUTE,
  quotaCounterReconciled,
  quotaCounterStarted,
  quotaSlotFreed,
  quotaSlotTaken,
  type QuotaCounter,
  type QuotaLimits,
} from '../quotas';
import {
  type Item,
  CERTIFICATE_SORT_KEY_PREFIX,
  type CertificateRecord,
  certificateSortKey,
  recordExpiresAt,
  CERTIFICATE_COUNTERS,
  type CertificateCounter,
  COUNTER_NAMES,
  certificateSlotItem,
  toItem,
  fromItem,
  descendantsOf,
} from './certificate-items';
import { isConditionalFailure } from './items';
import { FIRST_CA_ID } from '../certificates/ca-registry';
import { crlPendingKey, type RevocationListener, type RevocationReason } from './crl-keys';

/** What certificate records read of the configuration, at each use (a changed configuration applies to the next one). */
export type CertificateRecordSettings = () => Pick<Config, 'certificateRecordRetentionDays'> & ReturnType<QuotaLimits<'maxLiveCertificates' | 'maxUnexpiredCertificates'>>;

/** What a revocation records for the CRL: the certificate's CA (absent: ca-1's record from before rotation) and why. */
export interface Revocation {
  caId?: string;
  reason?: RevocationReason;
}

export class CertificateRepository {
  /** `revocations` hears of each CA that got a revoked certificate (the CRL rebuild trigger), after the write. */
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly settings: CertificateRecordSettings,
    private readonly revocations?: RevocationListener,
  ) {}

  /** When DynamoDB's TTL may remove a record (or counter) of a certificate expiring at `notAfter` (recordExpiresAt). */
  private expiresAt(notAfter: string): number {
    return recordExpiresAt(notAfter, this.settings().certificateRecordRetentionDays);
  }

  /** The limit of a certificate counter now. */
  limitOf(counter: CertificateCounter): number {
    return this.settings()[CERTIFICATE_COUNTERS[counter].quota.limitIn as 'maxLiveCertificates' | 'maxUnexpiredCertificates'];
  }

  /** Transaction item of a newly issued certificate (beside the token's redemption or the renewal's checks). */
  newRecord(record: CertificateRecord): TransactItem {
    return { Put: { TableName: this.table, Item: toItem(record, this.settings().certificateRecordRetentionDays), ConditionExpression: 'attribute_not_exists(sk)' } };
  }

  private counterOf(systemAuthId: string, counter: CertificateCounter): QuotaCounter {
    return { table: this.table, key: { id: systemAuthId, sk: CERTIFICATE_COUNTERS[counter].sortKey } };
  }

  /**
   * Transaction items that take a slot of each of the SystemAuth's certificate counters for `record`, named by
   * certificateSlotItem, to go into the transaction that records it: of concurrent renewals DynamoDB lets exactly as
   * many through as the counters have room for. A slot fails (ConditionalCheckFailed) when its counter is full, and
   * also when there is no counter yet: certificateCountersReconciled then counts the records, and the caller tries
   * again. A counter lives (TTL) as long as the newest record it counts.
   *
   * Each counter is an upper bound of what it counts: every record comes in with +1 on both; a revocation of a live
   * certificate takes 1 off the live counter (revoke); expiry, which writes nothing, leaves both too high until a
   * refusal reconciles them. With `first` (the certificate a one-time token buys, always the first of its SystemAuth) the
   * items create the counters at 1 instead.
   */
  certificateSlots(record: CertificateRecord, options: { first?: boolean } = {}): NamedTransactItems {
    const expiresAt = this.expiresAt(record.notAfter);
    return Object.fromEntries(
      COUNTER_NAMES.map((counter) => [
        certificateSlotItem(counter),
        // The first certificate of a SystemAuth starts its counters at 1 (no count of records that cannot exist yet); they
        // fail like a full slot if the counters exist after all.
        options.first
          ? quotaCounterStarted(this.counterOf(record.systemAuthId, counter), expiresAt)
          : quotaSlotTaken(this.limitOf(counter), this.counterOf(record.systemAuthId, counter), { counterMustExist: true, expiresAt }),
      ]),
    );
  }

  /**
   * Brings the named counters down to the records, after their slots failed: reads each counter, then counts the records
   * at `now`, then sets each counter to its count if it is still the value read (see quotaCounterReconciled: an unchanged
   * counter means no record came or was revoked in between, so the count is an upper bound still; certificates only
   * leave "live" and "unexpired" meanwhile). Returns the counters that are full (exact and at their limit): empty when
   * there may be room now (each counter was absent, too high or below its limit, whether or not this write won), and
   * the caller tries again.
   */
  async certificateCountersReconciled(systemAuthId: string, counters: readonly CertificateCounter[], now: Date): Promise<CertificateCounter[]> {
    const seen = await Promise.all(
      counters.map(async (counter) => {
        const read = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: this.counterOf(systemAuthId, counter).key, ConsistentRead: true }));
        return read.Item?.[QUOTA_COUNT_ATTRIBUTE] as number | undefined;
      }),
    );
    // Read after the counters: what a counter did not see yet is in the records or changes the counter (its write then fails).
    const records = await this.listOf(systemAuthId);
    // A counter lives as long as the newest record it may count (a counter gone is counted again: never a wrong count).
    const newest = records.reduce((latest, record) => (record.notAfter > latest ? record.notAfter : latest), now.toISOString());
    const full: CertificateCounter[] = [];
    await Promise.all(
      counters.map(async (counter, index) => {
        const counted = records.filter((record) => CERTIFICATE_COUNTERS[counter].counts(record, now)).length;
        const before = seen[index];
        if (before !== undefined && before <= counted) {
          // Exact: full if at the limit; below it, the slot failed on a counter that was absent then (a concurrent
          // first certificate created it meanwhile) and there is room now.
          if (before >= this.limitOf(counter)) full.push(counter);
          return;
        }
        try {
          await this.dynamo.send(new UpdateCommand(quotaCounterReconciled(this.counterOf(systemAuthId, counter), counted, before, this.expiresAt(newest)).Update!));
        } catch (error) {
          // Another renewal or revocation changed the counter since it was read: its own change keeps the bound.
          if (!isConditionalFailure(error)) throw error;
        }
      }),
    );
    return COUNTER_NAMES.filter((counter) => full.includes(counter));
  }

  /** The certificate record as one read of getTogether (the read of `find`, to go beside others in one round trip). */
  recordRead(systemAuthId: string, sha256Fingerprint: string): KeyedRead<CertificateRecord> {
    return { table: this.table, key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) }, decode: fromItem };
  }

  /** The certificate of the SystemAuth with this fingerprint, revoked or not. */
  async find(systemAuthId: string, sha256Fingerprint: string): Promise<CertificateRecord | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({ TableName: this.table, Key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) }, ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Every certificate issued to the SystemAuth, in fingerprint order. */
  async listOf(systemAuthId: string): Promise<CertificateRecord[]> {
    const records: CertificateRecord[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.dynamo.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'id = :id AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':id': systemAuthId, ':prefix': CERTIFICATE_SORT_KEY_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) records.push(fromItem(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  /**
   * Marks one certificate revoked; false when the SystemAuth has no certificate with this fingerprint. A certificate
   * that was live frees its slot of the live-certificate counter in the same transaction, exactly once (the condition
   * "not revoked yet, not expired" holds for one revocation only); an expired or already revoked one, or one of a
   * SystemAuth without a counter (reconciliation counts from the records), is marked without touching the counter.
   */
  async revoke(systemAuthId: string, sha256Fingerprint: string, now: Date = new Date(), revocation: Revocation = {}): Promise<boolean> {
    const revoked = await this.markRevoked(systemAuthId, sha256Fingerprint, now, revocation);
    if (revoked) await this.revocations?.revoked(revocation.caId ?? FIRST_CA_ID);
    return revoked;
  }

  private async markRevoked(systemAuthId: string, sha256Fingerprint: string, now: Date, revocation: Revocation): Promise<boolean> {
    // In the same write as `revoked`: the revocation time and reason the CRL lists, and the CRL key (crl-keys.ts)
    // that puts the record into the byCrl index as pending, so no CRL build can miss it.
    const crl = {
      expression: 'revokedAt = if_not_exists(revokedAt, :revokedAt), revocationReason = if_not_exists(revocationReason, :reason), crlKey = :crlKey',
      values: { ':revokedAt': now.toISOString(), ':reason': revocation.reason ?? 'unspecified', ':crlKey': crlPendingKey(revocation.caId ?? FIRST_CA_ID) },
    };
    try {
      await transactWrite(this.dynamo, {
        certificate: {
          Update: {
            TableName: this.table,
            Key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) },
            UpdateExpression: `SET revoked = :true, ${crl.expression}`,
            // notAfter is RFC 3339 from toISOString: the string order is the time order.
            ConditionExpression: 'attribute_exists(sk) AND revoked <> :true AND notAfter > :now',
            ExpressionAttributeValues: { ':true': true, ':now': now.toISOString(), ...crl.values },
          },
        },
        // Only the live counter: a revoked record stays until it expires, and the unexpired counter counts it until then.
        counter: quotaSlotFreed(this.counterOf(systemAuthId, 'live'), { counterMustExist: true }),
      });
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCancelledError) || !(error.conditionFailed('certificate') || error.conditionFailed('counter'))) throw error;
    }
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) },
          UpdateExpression: `SET revoked = :true, ${crl.expression}`,
          ConditionExpression: 'attribute_exists(sk)',
          ExpressionAttributeValues: { ':true': true, ...crl.values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Transaction item that holds only while the certificate is recorded and not revoked: a renewal made
   * with it is recorded together with this check, so a certificate revoked meanwhile renews nothing.
   */
  unrevokedCheck(systemAuthId: string, sha256Fingerprint: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) },
        ConditionExpression: 'attribute_exists(sk) AND revoked <> :true',
        ExpressionAttributeValues: { ':true': true },
      },
    };
  }

  /**
   * Revokes the certificate and every certificate renewed from it, directly or transitively; returns them
   * all as they are now (revoked), or undefined when the SystemAuth has no such certificate. The lineage is
   * read again until no live descendant is left: a renewal racing this one either was recorded before the
   * read (and is revoked here) or fails its unrevokedCheck. `keep` (a descendant) and its own renewals are
   * left alone: retirePreviousCertificate.
   */
  async revokeLineage(systemAuthId: string, sha256Fingerprint: string, options: { keep?: string } = {}): Promise<CertificateRecord[] | undefined> {
    // Read, revoke what is live (one write after another, below), read again: the second read finds any renewal
    // recorded meanwhile (usually none) and returns the lineage as it now is.
    for (;;) {
      const records = await this.listOf(systemAuthId);
      const root = records.find((record) => record.sha256Fingerprint === sha256Fingerprint);
      if (!root) return undefined;
      const lineage = [root, ...descendantsOf(sha256Fingerprint, records, options.keep)];
      const live = lineage.filter((record) => !record.revoked);
      if (live.length === 0) return lineage;
      // One after another: each revocation of a live certificate updates the SystemAuth's one counter, and parallel
      // transactions on one item would only cancel each other (TransactionConflict) and retry.
      // With `keep` this is retirePreviousCertificate: the lineage was superseded by the renewal.
      const reason: RevocationReason = options.keep === undefined ? 'unspecified' : 'superseded';
      for (const record of live) await this.revoke(systemAuthId, record.sha256Fingerprint, new Date(), { caId: record.caId, reason });
    }
  }

  /** Marks every certificate of the SystemAuth revoked (idempotent). */
  async revokeAllOf(systemAuthId: string): Promise<void> {
    const records = await this.listOf(systemAuthId);
    // Unpair, unregister or delete: the credential ends.
    for (const record of records.filter((r) => !r.revoked)) {
      await this.revoke(systemAuthId, record.sha256Fingerprint, new Date(), { caId: record.caId, reason: 'cessationOfOperation' });
    }
  }

  /**
   * How many certificates of CA `caId` are neither revoked nor expired at `now` (records without a caId count as
   * `firstCaId`'s). A Scan of the whole table: run by retire-ca, an administrator's rare command, never by a function.
   */
  async countLiveOfCa(caId: string, firstCaId: string, now: Date): Promise<number> {
    const ofCa = caId === firstCaId ? '(caId = :ca OR attribute_not_exists(caId))' : 'caId = :ca';
    let count = 0;
    let startKey: Item | undefined;
    do {
      const out = await this.dynamo.send(
        new ScanCommand({
          TableName: this.table,
          // notAfter is RFC 3339 from toISOString: the string order is the time order.
          FilterExpression: `begins_with(sk, :prefix) AND revoked <> :true AND notAfter > :now AND ${ofCa}`,
          ExpressionAttributeValues: { ':prefix': CERTIFICATE_SORT_KEY_PREFIX, ':true': true, ':now': now.toISOString(), ':ca': caId },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return count;
  }
}
