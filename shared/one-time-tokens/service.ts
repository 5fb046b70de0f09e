// Issuing one-time tokens: a token is stored (as its hash) together with its link to a live CLIENT_CERTIFICATE SystemAuth, or not at all.
import { config } from '../config';
import { NotFoundError } from '../errors';
import { cancellationCodes, oneTimeTokenPut, systemAuthTokenLink, transactWrite } from './repository';
import { newOneTimeToken, type IssuedOneTimeToken, type OneTimeTokenOwner, type OneTimeTokenPurpose } from './token';

/**
 * Creates and stores a token for the SystemAuth, valid for config().oneTimeTokenTtlSeconds.
 * NotFoundError when the tenant's application has no pending or active CLIENT_CERTIFICATE SystemAuth of that id.
 */
export async function issueOneTimeToken(
  owner: OneTimeTokenOwner,
  purpose: OneTimeTokenPurpose,
  now: Date = new Date(),
): Promise<IssuedOneTimeToken> {
  const issued = newOneTimeToken(owner, purpose, now, config().oneTimeTokenTtlSeconds);
  try {
    await transactWrite([oneTimeTokenPut(issued.record), systemAuthTokenLink(issued.record)]);
  } catch (error) {
    if (cancellationCodes(error)?.[1] === 'ConditionalCheckFailed') {
      throw new NotFoundError(
        `application ${owner.appId} has no pending or active CLIENT_CERTIFICATE SystemAuth ${owner.systemAuthId}`,
      );
    }
    throw error;
  }
  return issued;
}
