// The client certificate type's own writes to its SystemAuth item: the links to the one-time tokens issued for it (their
// hashes, for revocation, and the latest expiry, which turns a PENDING pairing EXPIRED) and its activation by a certificate.
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../aws/transactions';
import type { SystemAuthType } from './types';
import { AUTH_SORT_KEY, LATEST_TOKEN_EXPIRY_ATTRIBUTE, TOKEN_HASHES_ATTRIBUTE } from './items';

/** The SystemAuth type of a certificate lineage (the CLIENT_CERTIFICATE adapter's): the only type one-time tokens are issued for. */
export const CLIENT_CERTIFICATE_TYPE = 'CLIENT_CERTIFICATE' satisfies SystemAuthType;

/** A one-time token as its SystemAuth records it (the one-time-tokens module's OneTimeToken has these fields). */
export interface LinkedOneTimeToken {
  tokenHash: string;
  /** Epoch seconds. */
  expiresAt: number;
  tenant: string;
  appId: string;
  systemAuthId: string;
}

/** The only writer and reader of a certificate SystemAuth's token links, and what makes it ACTIVE. */
export class CertificateSystemAuths {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

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
          ':type': CLIENT_CERTIFICATE_TYPE,
          ...allowed,
        },
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
}
