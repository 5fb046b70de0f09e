// Issuing the one-time token that starts a certificate pairing: stored (as its hash) together with its link to a PENDING CLIENT_CERTIFICATE SystemAuth, or not at all.
import { transactWrite, TransactionCancelledError, type TransactionClient } from '../aws/transactions';
import type { Config } from '../config';
import { NotFoundError } from '../errors';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { OneTimeTokenRepository } from './repository';
import { newOneTimeToken, type IssuedOneTimeToken, type OneTimeTokenOwner } from './token';

export class OneTimeTokenService {
  constructor(
    private readonly tokens: OneTimeTokenRepository,
    private readonly systemAuths: SystemAuthRepository,
    private readonly settings: () => Pick<Config, 'oneTimeTokenTtlSeconds'>,
    /** The DynamoDB client the token and its SystemAuth link are written through, in one transaction. */
    private readonly dynamo: TransactionClient,
  ) {}

  /**
   * Creates and stores a CONFIGURATION token for the SystemAuth, valid for the configured oneTimeTokenTtlSeconds.
   * NotFoundError when the tenant's application has no PENDING CLIENT_CERTIFICATE SystemAuth of that id: an
   * ACTIVE one already holds a certificate, and renews over mTLS, never with a token.
   */
  async issueConfigurationToken(owner: OneTimeTokenOwner, now: Date = new Date()): Promise<IssuedOneTimeToken> {
    const issued = newOneTimeToken(owner, 'CONFIGURATION', now, this.settings().oneTimeTokenTtlSeconds);
    try {
      await transactWrite(this.dynamo, {
        token: this.tokens.newToken(issued.record),
        systemAuth: this.systemAuths.oneTimeTokenLink(issued.record, ['PENDING']),
      });
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.conditionFailed('systemAuth')) {
        throw new NotFoundError(`application ${owner.appId} has no pending CLIENT_CERTIFICATE SystemAuth ${owner.systemAuthId}`);
      }
      throw error;
    }
    return issued;
  }
}
