// The token-issuance protocol between the Director and the `tokens` function: request validation and the issued token's answer.
import Ajv from 'ajv';
import { BadUserInputError } from '../errors';
import type { OneTimeTokenService } from './service';
import { ONE_TIME_TOKEN_PURPOSES, expiresAtText, type OneTimeTokenPurpose } from './token';

/** What the Director sends to the `tokens` function (Lambda Invoke payload). */
export interface TokenIssuanceRequest {
  tenant: string;
  appId: string;
  systemAuthId: string;
  purpose: OneTimeTokenPurpose;
  /** Base URL of the HTTPS API as the Director's caller reached it: the tokens function has no HTTP event of its own. */
  publicBaseUrl: string;
}

/** What the `tokens` function answers. */
export interface TokenIssuance {
  token: string;
  connectorURL: string;
  /** RFC 3339. */
  expiresAt: string;
}

const nonEmpty = { type: 'string', minLength: 1, maxLength: 256 } as const;

const validateRequest = new Ajv({ allErrors: false, strict: true }).compile<TokenIssuanceRequest>({
  type: 'object',
  additionalProperties: false,
  required: ['tenant', 'appId', 'systemAuthId', 'purpose', 'publicBaseUrl'],
  properties: {
    tenant: nonEmpty,
    appId: nonEmpty,
    systemAuthId: nonEmpty,
    purpose: { enum: [...ONE_TIME_TOKEN_PURPOSES] },
    publicBaseUrl: { type: 'string', pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$', maxLength: 2048 },
  },
});

/** The request, or BadUserInputError naming the first field that is wrong. */
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

/** Issues the token the request asks for. */
export async function issueTokenFor(
  tokens: OneTimeTokenService,
  request: TokenIssuanceRequest,
  now: Date = new Date(),
): Promise<TokenIssuance> {
  const { token, record } = await tokens.issue(
    { tenant: request.tenant, appId: request.appId, systemAuthId: request.systemAuthId },
    request.purpose,
    now,
  );
  return { token, connectorURL: connectorUrl(request.publicBaseUrl), expiresAt: expiresAtText(record.expiresAt) };
}
