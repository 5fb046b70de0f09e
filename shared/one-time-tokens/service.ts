// Issuing one-time tokens: a token is stored (as its hash) together with its link to a live CLIENT_CERTIFICATE SystemAuth, or not at all.
import { transactWrite, TransactionCancelledError } from '../aws/transactions';
import { config } from '../config';
import { NotFoundError } from '../errors';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { OneTimeTokenRepository } from './repository';
import { newOneTimeToken, type IssuedOneTimeToken, type OneTimeTokenOwner, type OneTimeTokenPurpose } from './token';

export class OneTimeTokenService {
  constructor(
    private readonly tokens: OneTimeTokenRepository,
    private readonly systemAuths: SystemAuthRepository,
  ) {}

  /**
   * Creates and stores a token for the SystemAuth, valid for config().oneTimeTokenTtlSeconds.
   * NotFoundError when the tenant's application has no pending or active CLIENT_CERTIFICATE SystemAuth of that id.
   */
  async issue(owner: OneTimeTokenOwner, purpose: OneTimeTokenPurpose, now: Date = new Date()): Promise<IssuedOneTimeToken> {
    const issued = newOneTimeToken(owner, purpose, now, config().oneTimeTokenTtlSeconds);
    try {
      await transactWrite({
        token: this.tokens.newToken(issued.record),
        systemAuth: this.systemAuths.oneTimeTokenLink(issued.record),
      });
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.conditionFailed('systemAuth')) {
        throw new NotFoundError(`application ${owner.appId} has no pending or active CLIENT_CERTIFICATE SystemAuth ${owner.systemAuthId}`);
      }
      throw error;
    }
    return issued;
  }
}
