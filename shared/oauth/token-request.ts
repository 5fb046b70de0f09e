// A token endpoint request as RFC 6749 4.4 and RFC 8705 2.1 shape it: the form, the client's credentials (Basic or
// client_secret_post), the requested scopes, and the certificate-authenticated variant. Refusals are OAuthErrors.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { CertificateCaller, ClientCertificateData } from '../auth/client-certificate';
import { bodyBytes, header, MAX_REQUEST_BYTES } from '../http';
import { SCOPE_TOKEN } from '../scopes';
import { OAuthError } from './errors';

/** The token endpoint's path under the API's base URL (RFC 8414 token_endpoint; an assertion's `aud` may be its URL). */
export const TOKEN_PATH = '/oauth2/token';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TokenRequest {
  credentials: ClientCredentials;
  /** Undefined when the client asked for no particular scope (it then gets all of its own). */
  scopes?: string[];
}

/** RFC 8705 2.1 tls_client_auth: the client id, authenticated by the certificate of the TLS handshake. */
export interface CertificateTokenRequest {
  clientId: string;
  scopes?: string[];
}

/** The token endpoint's way to the client certificate authentication the Director uses (ClientCertificateAuthenticator). */
export interface CertificateClientAuthentication {
  authenticate(presented: ClientCertificateData): Promise<CertificateCaller>;
}

export type TokenEvent = Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded' | 'queryStringParameters' | 'requestContext'>;

/** RFC 6749 2.3.1: inside Basic, id and secret are each application/x-www-form-urlencoded. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** The client credentials of an `Authorization: Basic` header (RFC 7617 with RFC 6749 2.3.1 encoding). */
export function parseBasicCredentials(authorization: string): ClientCredentials {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
  if (!match) {
    if (!/^basic(\s|$)/i.test(authorization)) {
      throw new OAuthError('invalid_client', 'Unsupported authentication scheme: use HTTP Basic or client_id/client_secret form fields');
    }
    throw new OAuthError('invalid_client', 'Authorization header is not valid Basic credentials');
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Basic credentials must be "<client_id>:<client_secret>"');
  let credentials: ClientCredentials;
  try {
    credentials = { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'Basic credentials are not form-urlencoded');
  }
  if (credentials.clientId === '' || credentials.clientSecret === '') {
    throw new OAuthError('invalid_client', 'Basic credentials need both a client id and a client secret');
  }
  return credentials;
}

/**
 * The form parameters of the body. Every parameter may appear once (RFC 6749 3.2); one sent
 * without a value counts as omitted (RFC 6749 3.1).
 */
export function parseForm(event: TokenEvent): Map<string, string> {
  const contentType = header(event, 'content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const bytes = bodyBytes(event);
  if (bytes.length > MAX_REQUEST_BYTES) throw new OAuthError('invalid_request', 'Request body is too large');
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(bytes.toString('utf8'))) {
    if (params.has(name)) throw new OAuthError('invalid_request', `Parameter ${name} is repeated`);
    params.set(name, value);
  }
  for (const [name, value] of params) if (value === '') params.delete(name);
  return params;
}

/** Space-separated scope tokens (RFC 6749 3.3); undefined when none were asked for. */
export function parseScope(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const tokens = scope.split(' ').filter((token) => token !== '');
  if (tokens.length === 0) return undefined;
  const bad = tokens.find((token) => !SCOPE_TOKEN.test(token));
  if (bad !== undefined) throw new OAuthError('invalid_scope', 'scope contains a character OAuth scopes may not contain');
  return [...new Set(tokens)];
}

/** The scopes to grant: what was asked for if the client holds all of it, else invalid_scope; by default all of the client's. */
export function grantedScopes(requested: string[] | undefined, clientScopes: readonly string[]): string[] {
  if (requested === undefined) return [...clientScopes];
  const missing = requested.filter((scope) => !clientScopes.includes(scope));
  if (missing.length > 0) throw new OAuthError('invalid_scope', `The client may not request: ${missing.join(' ')}`);
  return requested;
}

/** The form of a client credentials grant: parameters in the body, grant_type client_credentials. */
export function parseGrant(event: TokenEvent): Map<string, string> {
  const query = event.queryStringParameters ?? {};
  if (Object.keys(query).length > 0) {
    // Credentials in a URL end up in access logs.
    throw new OAuthError('invalid_request', 'Send the token request parameters in the form body, not in the URL');
  }
  const form = parseForm(event);
  const grantType = form.get('grant_type');
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is missing');
  if (grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported');
  }
  return form;
}

/**
 * A token request that came with a client certificate (the mTLS endpoint): RFC 8705 2.1 tls_client_auth, the client
 * id in the body and nothing else to authenticate it. A secret or an assertion beside the certificate is refused
 * rather than one of the two chosen: RFC 6749 2.3 allows one authentication method per request.
 */
export function parseCertificateTokenRequest(event: TokenEvent): CertificateTokenRequest {
  const form = parseGrant(event);
  if (header(event, 'authorization') !== undefined || form.has('client_secret') || form.has('client_assertion') || form.has('client_assertion_type')) {
    throw new OAuthError('invalid_request', 'A request with a client certificate authenticates by it alone (tls_client_auth): send no client secret, Authorization header or client assertion');
  }
  const clientId = form.get('client_id');
  if (clientId === undefined) throw new OAuthError('invalid_request', 'client_id is missing: tls_client_auth names the client in the body');
  return { clientId, scopes: parseScope(form.get('scope')) };
}

/** Reads and checks everything in the request that needs no storage. */
export function parseTokenRequest(event: TokenEvent): TokenRequest {
  const form = parseGrant(event);
  const authorization = header(event, 'authorization');
  const formId = form.get('client_id');
  const formSecret = form.get('client_secret');
  let credentials: ClientCredentials;
  if (authorization !== undefined) {
    if (formSecret !== undefined) {
      throw new OAuthError('invalid_request', 'Use one client authentication method: Basic or client_secret, not both');
    }
    credentials = parseBasicCredentials(authorization);
    // Some client libraries repeat client_id in the body next to Basic; it must then name the same client.
    if (formId !== undefined && formId !== credentials.clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body differs from the one in the Authorization header');
    }
  } else if (formId !== undefined && formSecret !== undefined) {
    credentials = { clientId: formId, clientSecret: formSecret };
  } else {
    throw new OAuthError('invalid_client', 'Client authentication is missing: use HTTP Basic or client_id and client_secret');
  }
  return { credentials, scopes: parseScope(form.get('scope')) };
}
