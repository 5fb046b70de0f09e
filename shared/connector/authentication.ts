// Token authentication of the Connector: the one-time token from the Connector-Token header or ?token=, checked before GraphQL runs.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AuditRecorder } from '../audit/recorder';
import { UNATTRIBUTED_TENANT, type OneTimeTokenRefusal } from '../audit/types';
import { UnauthenticatedError } from '../errors';
import { header } from '../http';
import type { OneTimeTokenRepository } from '../one-time-tokens/repository';
import { hashOneTimeToken, isExpired, isRedeemed, looksLikeOneTimeToken, type OneTimeToken } from '../one-time-tokens/token';
import type { OneTimeTokenCaller } from './caller';
import { CredentialsSpentError } from './refusals';

const CONNECTOR_TOKEN_HEADER = 'Connector-Token';

/** The presented token: the header wins over the query parameter. */
function presentedToken(event: Pick<APIGatewayProxyEvent, 'headers' | 'queryStringParameters'>): string | undefined {
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
  tokens: Pick<OneTimeTokenRepository, 'findStored'>,
  now: Date = new Date(),
  audit?: Pick<AuditRecorder, 'refused'>,
): Promise<OneTimeTokenCaller> {
  const token = presentedToken(event);
  if (token === undefined) {
    throw new UnauthenticatedError(`A one-time token is required: send it in the ${CONNECTOR_TOKEN_HEADER} header or the token query parameter`);
  }
  // Every refusal is the same 401 to the client; the audit trail says which it was (never the token, nor its hash).
  const refuse = async (reasonCode: OneTimeTokenRefusal, reason: string, stored?: OneTimeToken): Promise<CredentialsSpentError> => {
    await audit?.refused(
      stored
        ? {
            tenant: stored.tenant, action: 'ONE_TIME_TOKEN_REFUSED', outcome: 'REFUSED', reason, reasonCode,
            actor: { kind: 'APPLICATION', id: stored.systemAuthId, via: 'ONE_TIME_TOKEN' },
            target: { applicationId: stored.appId, systemAuthId: stored.systemAuthId }, details: { purpose: stored.purpose },
          }
        : { tenant: UNATTRIBUTED_TENANT, action: 'ONE_TIME_TOKEN_REFUSED', outcome: 'REFUSED', reason, reasonCode, actor: { kind: 'UNAUTHENTICATED' } },
    );
    return new CredentialsSpentError();
  };
  if (!looksLikeOneTimeToken(token)) throw await refuse('UNKNOWN', 'unknown');
  const stored = await tokens.findStored(hashOneTimeToken(token));
  if (!stored) throw await refuse('UNKNOWN', 'unknown');
  if (isExpired(stored, now)) throw await refuse('EXPIRED', 'expired', stored);
  if (isRedeemed(stored) && !(stored.purpose === 'CSR' && stored.certificate)) throw await refuse('SPENT', 'spent', stored);
  return { kind: 'ONE_TIME_TOKEN', token: stored };
}
