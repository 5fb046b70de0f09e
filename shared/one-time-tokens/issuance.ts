// The token-issuance protocol between the Director and the `tokens` function: request validation and the issued token's answer.
import { BadUserInputError } from '../errors';
import { precompiledValidator } from '../json-schema';
import type { OneTimeTokenService } from './service';
import { expiresAtText } from './token';

/**
 * What the Director sends to the `tokens` function (Lambda Invoke payload): whose pairing the token is for,
 * nothing more. The function decides the rest itself: it only ever issues the CONFIGURATION token that
 * starts a pairing, only for a PENDING CLIENT_CERTIFICATE SystemAuth of that tenant and application, and it
 * builds no URL (the Director, which knows how it was reached, adds the Connector's).
 */
export interface TokenIssuanceRequest {
  tenant: string;
  appId: string;
  systemAuthId: string;
}

/** What the `tokens` function answers. */
export interface TokenIssuance {
  token: string;
  /** RFC 3339. */
  expiresAt: string;
}

const nonEmpty = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** The JSON Schema of TokenIssuanceRequest (its validator is generated at build time: local/json-schema-validators.ts). */
export const TOKEN_ISSUANCE_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['tenant', 'appId', 'systemAuthId'],
  properties: { tenant: nonEmpty, appId: nonEmpty, systemAuthId: nonEmpty },
};

const validateRequest = precompiledValidator<TokenIssuanceRequest>(TOKEN_ISSUANCE_REQUEST_SCHEMA);

/** The request, or BadUserInputError naming the first field that is wrong (an unknown one included: purpose, URLs). */
export function parseTokenIssuanceRequest(input: unknown): TokenIssuanceRequest {
  if (validateRequest(input)) return input;
  const error = validateRequest.errors?.[0];
  const field = error?.instancePath ? error.instancePath.slice(1) : 'request';
  const detail = error?.keyword === 'additionalProperties'
    ? `has unknown field "${String((error.params as { additionalProperty: string }).additionalProperty)}"`
    : (error?.message ?? 'is invalid');
  throw new BadUserInputError(`token issuance: ${field} ${detail}`);
}

/** Absolute URL of the token-secured Connector. */
export const connectorUrl = (publicBaseUrl: string): string => `${publicBaseUrl.replace(/\/+$/, '')}/connector/graphql`;

/** Issues the CONFIGURATION token that starts the pairing the request names. */
export async function issueTokenFor(
  tokens: OneTimeTokenService,
  request: TokenIssuanceRequest,
  now: Date = new Date(),
): Promise<TokenIssuance> {
  const { token, record } = await tokens.issueConfigurationToken(
    { tenant: request.tenant, appId: request.appId, systemAuthId: request.systemAuthId },
    now,
  );
  return { token, expiresAt: expiresAtText(record.expiresAt) };
}
