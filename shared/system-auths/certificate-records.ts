// The certificates issued to a SystemAuth: items "CERT#<sha256 fingerprint>" beside its auth item in the SystemAuths table.
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../aws/clients';
import { config } from '../config';
import type { TransactItem } from '../one-time-tokens/repository';
import { AUTH_SORT_KEY, applicationKey } from './repository';

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

/** Put of a newly issued certificate (for the transaction that also spends the token). */
export function certificateRecordPut(record: CertificateRecord): TransactItem {
  return {
    Put: {
      TableName: config().systemAuthsTable,
      Item: toItem(record),
      ConditionExpression: 'attribute_not_exists(sk)',
    },
  };
}

/** The certificate of the SystemAuth with this fingerprint, revoked or not. */
export async function findCertificateRecord(systemAuthId: string, sha256Fingerprint: string): Promise<CertificateRecord | undefined> {
  const out = await dynamo().send(
    new GetCommand({
      TableName: config().systemAuthsTable,
      Key: { id: systemAuthId, sk: certificateSortKey(sha256Fingerprint) },
      ConsistentRead: true,
    }),
  );
  return out.Item ? fromItem(out.Item) : undefined;
}

/** Every certificate issued to the SystemAuth, in fingerprint order. */
export async function listCertificatesOfSystemAuth(systemAuthId: string): Promise<CertificateRecord[]> {
  const records: CertificateRecord[] = [];
  let startKey: Item | undefined;
  do {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: config().systemAuthsTable,
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
export async function revokeCertificateRecord(systemAuthId: string, sha256Fingerprint: string): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: config().systemAuthsTable,
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
export async function revokeCertificatesOfSystemAuth(systemAuthId: string): Promise<void> {
  const records = await listCertificatesOfSystemAuth(systemAuthId);
  await Promise.all(records.filter((r) => !r.revoked).map((r) => revokeCertificateRecord(systemAuthId, r.sha256Fingerprint)));
}

/**
 * Update that makes the SystemAuth ACTIVE once it holds a certificate; it fails for a SystemAuth that
 * is gone, of another tenant, or REVOKED/EXPIRED, so no certificate is recorded for a revoked lineage.
 */
export function systemAuthActivation(systemAuthId: string, tenant: string): TransactItem {
  return {
    Update: {
      TableName: config().systemAuthsTable,
      Key: { id: systemAuthId, sk: AUTH_SORT_KEY },
      UpdateExpression: 'SET #status = :active',
      ConditionExpression: 'attribute_exists(id) AND tenant = :tenant AND #status IN (:pending, :active)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':tenant': tenant, ':pending': 'PENDING', ':active': 'ACTIVE' },
    },
  };
}
