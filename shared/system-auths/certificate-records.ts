// The certificates issued to a SystemAuth: items "CERT#<sha256 fingerprint>" beside its auth item in the SystemAuths table.
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../aws/clients';
import type { TransactItem } from '../aws/transactions';
import { config } from '../config';
import { applicationKey } from './repository';

type Item = Record<string, NativeAttributeValue>;

const CERTIFICATE_SORT_KEY_PREFIX = 'CERT#';

/** One issued client certificate, as the Director lists it under its SystemAuth. */
export interface CertificateRecord {
  /** The SystemAuth the certificate belongs to (= the certificate's CN). */
  systemAuthId: string;
  tenant: string;
  appId: string;
  /** Hex, as the CA assigned it. */
  serialNumber: string;
  /** Hex SHA-256 of the certificate DER. */
  sha256Fingerprint: string;
  /** "O=...,OU=...,L=...,ST=...,C=...,CN=<systemAuthId>". */
  subject: string;
  /** RFC 3339. */
  notBefore: string;
  /** RFC 3339. */
  notAfter: string;
  revoked: boolean;
}

export const certificateSortKey = (sha256Fingerprint: string): string => `${CERTIFICATE_SORT_KEY_PREFIX}${sha256Fingerprint}`;

function toItem(record: CertificateRecord): Item {
  const { systemAuthId, ...rest } = record;
  // appKey puts the certificate into the byApplication index too, beside its SystemAuth.
  return { id: systemAuthId, sk: certificateSortKey(record.sha256Fingerprint), appKey: applicationKey(record.tenant, record.appId), ...rest };
}

function fromItem(item: Item): CertificateRecord {
  return {
    systemAuthId: item.id,
    tenant: item.tenant,
    appId: item.appId,
    serialNumber: item.serialNumber,
    sha256Fingerprint: item.sha256Fingerprint,
    subject: item.subject,
    notBefore: item.notBefore,
    notAfter: item.notAfter,
    revoked: item.revoked === true,
  };
}

export class CertificateRepository {
  constructor(private readonly table = config().systemAuthsTable) {}

  /** Transaction item of a newly issued certificate (beside the token's redemption or the renewal's checks). */
  newRecord(record: CertificateRecord): TransactItem {
    return { Put: { TableName: this.table, Item: toItem(record), ConditionExpression: 'attribute_not_exists(sk)' } };
  }

  /** The certificate of the SystemAuth with this fingerprint, revoked or not. */
  async find(systemAuthId: string, sha256Fingerprint: string): Promise<CertificateRecord | undefined> {
    const out = await dynamo().send(
      new GetCommand({ TableName: this.table, Key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) }, ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Every certificate issued to the SystemAuth, in fingerprint order. */
  async listOf(systemAuthId: string): Promise<CertificateRecord[]> {
    const records: CertificateRecord[] = [];
    let startKey: Item | undefined;
    do {
      const out = await dynamo().send(
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

  /** Marks one certificate revoked; false when the SystemAuth has no certificate with this fingerprint. */
  async revoke(systemAuthId: string, sha256Fingerprint: string): Promise<boolean> {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) },
          UpdateExpression: 'SET revoked = :true',
          ConditionExpression: 'attribute_exists(sk)',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Marks every certificate of the SystemAuth revoked (idempotent). */
  async revokeAllOf(systemAuthId: string): Promise<void> {
    const records = await this.listOf(systemAuthId);
    await Promise.all(records.filter((r) => !r.revoked).map((r) => this.revoke(systemAuthId, r.sha256Fingerprint)));
  }
}
