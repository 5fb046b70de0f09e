// Token authentication of the Connector: the one-time token from the Connector-Token header or ?token=, checked before GraphQL runs.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { UnauthenticatedError } from '../errors';
import { header } from '../http';
import type { OneTimeTokenRepository } from '../one-time-tokens/repository';
import { hashOneTimeToken, isRedeemed, looksLikeOneTimeToken } from '../one-time-tokens/token';
import type { OneTimeTokenCaller } from './caller';
import { CredentialsSpentError } from './service';

export const CONNECTOR_TOKEN_HEADER = 'Connector-Token';

/** The presented token: the header wins over the query parameter. */
export function presentedToken(event: Pick<APIGatewayProxyEvent, 'headers' | 'queryStringParameters'>): string | undefined {
  const value = header(event, CONNECTOR_TOKEN_HEADER) ?? event.queryStringParameters?.token ?? undefined;
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The caller holding a live token. Missing, malformed, unknown, expired and spent tokens are all
 * UnauthenticatedError (HTTP 401), with one exception: a spent CSR token that bought a certificate
 * passes, so that the same CSR sent again gets the same certificate (the service admits nothing else).
 */
export async function authenticateOneTimeToken(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'queryStringParameters'>,
  tokens: OneTimeTokenRepository,
  now: Date = new Date(),
): Promise<OneTimeTokenCaller> {
  const token = presentedToken(event);
  if (token === undefined) {
    throw new UnauthenticatedError(`A one-time token is required: send it in the ${CONNECTOR_TOKEN_HEADER} header or the token query parameter`);
  }
  if (!looksLikeOneTimeToken(token)) throw new CredentialsSpentError();
  const stored = await tokens.find(hashOneTimeToken(token), now);
  if (!stored) throw new CredentialsSpentError();
  if (isRedeemed(stored) && !(stored.purpose === 'CSR' && stored.certificate)) throw new CredentialsSpentError();
  return { kind: 'ONE_TIME_TOKEN', token: stored };
}
