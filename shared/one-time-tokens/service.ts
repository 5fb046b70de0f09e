// Issuing the one-time token that starts a certificate pairing: stored (as its hash) together with its link to a PENDING CLIENT_CERTIFICATE SystemAuth, or not at all.
import { transactWrite, TransactionCancelledError, type TransactionClient } from '../aws/transactions';
import type { Config } from '../config';
import { ConflictError, NotFoundError } from '../errors';
import { CLIENT_CERTIFICATE_TYPE, type CertificateSystemAuths } from '../system-auths/certificate-auths';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { OneTimeTokenRepository } from './repository';
import { newOneTimeToken, type IssuedOneTimeToken, type OneTimeTokenOwner } from './token';

export class OneTimeTokenService {
  constructor(
    private readonly tokens: OneTimeTokenRepository,
    private readonly systemAuths: SystemAuthRepository,
    private readonly certificateAuths: CertificateSystemAuths,
    private readonly settings: () => Pick<Config, 'oneTimeTokenTtlSeconds'>,
    /** The DynamoDB client the token and its SystemAuth link are written through, in one transaction. */
    private readonly dynamo: TransactionClient,
  ) {}

  /**
   * Creates and stores the CONFIGURATION token of the SystemAuth, valid for the configured oneTimeTokenTtlSeconds: one per
   * SystemAuth, ever (the pairing's redemption adds the one CSR token). NotFoundError when the tenant's application
   * has no PENDING CLIENT_CERTIFICATE SystemAuth of that id: an ACTIVE one already holds a certificate, and renews
   * over mTLS, never with a token. ConflictError when the SystemAuth already has its token: a new pairing (a new
   * SystemAuth) gets a new one.
   */
  async issueConfigurationToken(owner: OneTimeTokenOwner, now: Date = new Date()): Promise<IssuedOneTimeToken> {
    const issued = newOneTimeToken(owner, 'CONFIGURATION', now, this.settings().oneTimeTokenTtlSeconds);
    try {
      await transactWrite(this.dynamo, {
        token: this.tokens.newToken(issued.record),
        systemAuth: this.certificateAuths.oneTimeTokenLink(issued.record, ['PENDING'], { first: true }),
      });
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.conditionFailed('systemAuth')) throw await this.refusal(owner);
      throw error;
    }
    return issued;
  }

  /** Why the link's condition failed, read after the fact (the refusal's message only; nothing was written). */
  private async refusal(owner: OneTimeTokenOwner): Promise<Error> {
    const auth = await this.systemAuths.getOfTenant(owner.tenant, owner.systemAuthId);
    const pending = auth?.appId === owner.appId && auth.type === CLIENT_CERTIFICATE_TYPE && auth.status === 'PENDING';
    if (pending && (await this.certificateAuths.oneTimeTokenHashesOf(owner.systemAuthId)).length > 0) {
      return new ConflictError(`SystemAuth ${owner.systemAuthId} already has its one-time token: each pairing gets one; generate new pairing data for another`);
    }
    return new NotFoundError(`application ${owner.appId} has no pending ${CLIENT_CERTIFICATE_TYPE} SystemAuth ${owner.systemAuthId}`);
  }
}
