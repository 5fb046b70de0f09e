// The public discovery documents: RFC 8414 authorization server metadata and the RFC 7517 JWK Set.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { jsonResponse, publicBaseUrl , type BaseUrlSettings } from '../http';
import { logger } from '../logger';
import type { Config } from '../config';
import { APPLICATION_SCOPES } from '../scopes';
import type { SigningKeys } from './signing-keys';
import { CLIENT_ASSERTION_ALGORITHMS } from './client-public-keys';
import { serverErrorResponse } from './token-endpoint';
import { TOKEN_PATH } from './token-request';

export { TOKEN_PATH };
export const METADATA_PATH = '/.well-known/oauth-authorization-server';
export const JWKS_PATH = '/.well-known/jwks.json';
/** RFC 7662 token introspection (shared/oauth/introspection.ts). */
export const INTROSPECTION_PATH = '/oauth2/introspect';

/** What the metadata reads of the configuration: where the base URL comes from, and the mTLS endpoint's base URL ('' for none). */
export type MetadataSettings = BaseUrlSettings & Pick<Config, 'mtlsBaseUrl'>;

function authorizationServerMetadata(baseUrl: string, mtlsBaseUrl: string): Record<string, unknown> {
  // RFC 8705: with an mTLS endpoint, a paired certificate authenticates at its token endpoint (tls_client_auth) and
  // gets tokens bound to it; clients find that endpoint under mtls_endpoint_aliases (RFC 8705 5).
  const mtls = mtlsBaseUrl
    ? { tls_client_certificate_bound_access_tokens: true, mtls_endpoint_aliases: { token_endpoint: `${mtlsBaseUrl}${TOKEN_PATH}` } }
    : {};
  return {
    issuer: baseUrl,
    token_endpoint: `${baseUrl}${TOKEN_PATH}`,
    jwks_uri: `${baseUrl}${JWKS_PATH}`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', ...(mtlsBaseUrl ? ['tls_client_auth'] : [])],
    // private_key_jwt (PRIVATE_KEY_JWT pairings): what an assertion may be signed with, each only with a key of its kind.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    // RFC 7662: a client of the token's tenant asks whether a token is active now (shared/oauth/introspection.ts).
    introspection_endpoint: `${baseUrl}${INTROSPECTION_PATH}`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // What pairing may grant an application (inputParams.scopes). Administrators' scopes are not requested by anyone (an
    // administrator's token always carries them), and application:write would only be refused: RFC 8414 lets a
    // server leave out scopes it supports.
    scopes_supported: [...APPLICATION_SCOPES],
    // Only the token endpoint exists: no authorization endpoint, hence no response types.
    response_types_supported: [],
    ...mtls,
  };
}

export function handleMetadataRequest(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>, settings: MetadataSettings): APIGatewayProxyResult {
  // A document built from the request's Host (the local stage without PUBLIC_BASE_URL) is that request's alone: no cache may keep it.
  const cacheControl = settings.publicBaseUrl ? 'public, max-age=300' : 'no-store';
  return jsonResponse(200, authorizationServerMetadata(publicBaseUrl(event, settings), settings.mtlsBaseUrl), { 'cache-control': cacheControl });
}

export async function handleJwksRequest(keys: Pick<SigningKeys, 'publicJwks'>): Promise<APIGatewayProxyResult> {
  try {
    // Short caching: verifiers see a rotated key soon, and refetch on an unknown kid anyway.
    return jsonResponse(200, await keys.publicJwks(), { 'cache-control': 'public, max-age=60' });
  } catch (error) {
    logger.error('reading the signing keys failed', { error: error instanceof Error ? { name: error.name, message: error.message } : 'unknown' });
    return serverErrorResponse();
  }
}
