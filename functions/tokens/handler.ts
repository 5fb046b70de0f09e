// The `tokens` Lambda: issues one one-time token per invocation (Lambda Invoke from the Director only; no HTTP route).
import type { Context } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { noteOperation, observedHandler } from '../../shared/observability/invocation';
import { issueTokenFor, parseTokenIssuanceRequest, type TokenIssuance } from '../../shared/one-time-tokens/issuance';
import { OneTimeTokenRepository } from '../../shared/one-time-tokens/repository';
import { OneTimeTokenService } from '../../shared/one-time-tokens/service';
import { SystemAuthRepository } from '../../shared/system-auths/repository';
import { CertificateSystemAuths } from '../../shared/system-auths/certificate-auths';
import { config } from '../../shared/config';
import { aws } from '../container';

// The composition of this function: built once per container.
const oneTimeTokens = new OneTimeTokenService(new OneTimeTokenRepository(aws.dynamo, config().tokensTable), new SystemAuthRepository(aws.dynamo, config().systemAuthsTable), new CertificateSystemAuths(aws.dynamo, config().systemAuthsTable), config, aws.dynamo);

/** A thrown error reaches the invoker as a FunctionError, which the Director reports as INTERNAL. */
export const handler = observedHandler('tokens', async (event: unknown, context?: Context): Promise<TokenIssuance> => {
  if (context) logger.addContext(context);
  noteOperation('issueOneTimeToken');
  return issueTokenFor(oneTimeTokens, parseTokenIssuanceRequest(event));
});
