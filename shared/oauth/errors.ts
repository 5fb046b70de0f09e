// OAuth 2.0 token endpoint errors (RFC 6749 section 5.2): the error code, its HTTP status, a description for the client.

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

/** The realm in `WWW-Authenticate: Basic` of invalid_client responses to clients that used HTTP Basic. */
export const OAUTH_REALM = 'pairing-service';

export class OAuthError extends Error {
  override readonly name: string = 'OAuthError';

  constructor(
    readonly error: OAuthErrorCode,
    /** Written for the client: names what is wrong, never echoes a credential. */
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }

  /** RFC 6749 5.2: invalid_client is 401, every other error 400. */
  get httpStatus(): 401 | 400 {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}

/** The one answer to every failed client authentication, so the cause (unknown id, wrong secret, revoked) never leaks. */
export const invalidClient = (): OAuthError => new OAuthError('invalid_client', 'Client authentication failed');

/**
 * Why a client authentication was refused (the code for metrics, the words for the audit trail; the client always gets
 * invalidClient's one answer), and whose credentials it presented, as far as the service knows them.
 */
export type RefusedClient = (
  | { code: 'MALFORMED_CLIENT_ID'; reason: 'malformed client id' }
  | { code: 'UNKNOWN_CLIENT'; reason: 'unknown client' }
  | { code: 'NOT_ACTIVE'; reason: 'client not active' }
  | { code: 'WRONG_SECRET'; reason: 'wrong secret' }
  | { code: 'INVALID_ASSERTION'; reason: 'invalid client assertion'; /** Which check failed (private_key_jwt). */ detail: string }
  | { code: 'REPLAYED_ASSERTION'; reason: 'client assertion replayed' }
) & {
  /** The client's own record, when the presented id names an OAuth client. */
  client?: { id: string; tenant: string; kind: 'ADMIN' | 'APPLICATION'; appId?: string };
};

/** invalid_client with the refusal's cause attached (never sent: the description is invalidClient's). */
export class ClientAuthenticationRefusedError extends OAuthError {
  override readonly name: string = 'ClientAuthenticationRefusedError';

  constructor(readonly refusal: RefusedClient) {
    super('invalid_client', 'Client authentication failed');
  }
}
