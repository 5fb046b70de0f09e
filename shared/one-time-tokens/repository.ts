// DynamoDB storage of one-time tokens (the Tokens table, keyed by the token's hash): the only writer of token items.
import { X509Certificate } from 'node:crypto';
import { DeleteCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../aws/transactions';
import { epochSeconds } from '../time';
import { isExpired, type OneTimeToken, type OneTimeTokenPurpose, type RedeemedCertificate } from './token';

type Item = Record<string, NativeAttributeValue>;

/**
 * The stored certificate of a spent CSR token. Tokens spent before the DER form kept both PEMs: the leaf's DER is read
 * from its PEM, and the CA's certificate comes from the registry like any other's.
 */
function redeemedCertificateOf(stored: Item): RedeemedCertificate {
  const der = stored.clientCertificateDer instanceof Uint8Array ? stored.clientCertificateDer : new X509Certificate(String(stored.clientCertificatePem)).raw;
  const certificate: RedeemedCertificate = { clientCertificateDer: der, sha256Fingerprint: stored.sha256Fingerprint };
  if (typeof stored.caId === 'string') certificate.caId = stored.caId;
  return certificate;
}

function fromItem(item: Item): OneTimeToken {
  const token: OneTimeToken = {
    tokenHash: item.tokenHash,
    tenant: item.tenant,
    appId: item.appId,
    systemAuthId: item.systemAuthId,
    purpose: item.purpose,
    expiresAt: Number(item.expiresAt),
    createdAt: item.createdAt,
  };
  if (item.redeemedAt !== undefined) token.redeemedAt = item.redeemedAt;
  if (item.csrHash !== undefined) token.csrHash = item.csrHash;
  if (item.certificate !== undefined) token.certificate = redeemedCertificateOf(item.certificate as Item);
  return token;
}

export class OneTimeTokenRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Transaction item of a new token; a hash collision (never expected from 256 random bits) fails instead of overwriting. */
  newToken(token: OneTimeToken): TransactItem {
    return { Put: { TableName: this.table, Item: { ...token }, ConditionExpression: 'attribute_not_exists(tokenHash)' } };
  }

  /**
   * Transaction item that spends the token: succeeds for exactly one caller, and only while the token is
   * unspent, unexpired and of the expected purpose. A CSR token records the CSR hash and the certificate
   * for idempotent retries.
   */
  redemption(tokenHash: string, purpose: OneTimeTokenPurpose, now: Date, issued?: { csrHash: string; certificate: RedeemedCertificate }): TransactItem {
    const values: Item = { ':redeemedAt': now.toISOString(), ':now': epochSeconds(now), ':purpose': purpose };
    let update = 'SET redeemedAt = :redeemedAt';
    if (issued) {
      update += ', csrHash = :csrHash, certificate = :certificate';
      values[':csrHash'] = issued.csrHash;
      values[':certificate'] = issued.certificate;
    }
    return {
      Update: {
        TableName: this.table,
        Key: { tokenHash },
        UpdateExpression: update,
        ConditionExpression: 'attribute_exists(tokenHash) AND attribute_not_exists(redeemedAt) AND expiresAt > :now AND purpose = :purpose',
        ExpressionAttributeValues: values,
      },
    };
  }

  /** The stored token with this hash, expired or not (TTL removes items lazily); undefined when there is none. */
  async findStored(tokenHash: string): Promise<OneTimeToken | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { tokenHash }, ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** The stored token with this hash, or undefined when there is none or it has expired (whether or not TTL removed it yet). */
  async find(tokenHash: string, now: Date = new Date()): Promise<OneTimeToken | undefined> {
    const token = await this.findStored(tokenHash);
    return token && !isExpired(token, now) ? token : undefined;
  }

  /** Deletes the tokens with these hashes (spent ones too: their stored certificate must not be handed out again). */
  async delete(tokenHashes: readonly string[]): Promise<void> {
    await Promise.all(tokenHashes.map((tokenHash) => this.dynamo.send(new DeleteCommand({ TableName: this.table, Key: { tokenHash } }))));
  }
}
