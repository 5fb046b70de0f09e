// Bearer-token authentication of Director calls: the access token must verify, its SystemAuth must still be ACTIVE and its application exist.
import { OAUTH_CLIENT_TYPE } from '../system-auths/oauth-client-records';
import { PUBLIC_KEY_CLIENT_TYPE } from '../system-auths/private-key-jwt-clients';
import type { ApplicationRepository } from '../applications/repository';
import type { ClientAuthenticationRefusal } from '../audit/types';
import { UnauthenticatedError } from '../errors';
import type { AccessTokenClaims } from './token-claims';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';
import type { Caller } from './caller';
import { CertificateRefusedError, thumbprintOfFingerprint, type ClientCertificateAuthenticator, type ClientCertificateData } from './client-certificate';

/** How stale a SystemAuth looked up for a token may be: a revoked client is refused within this. */
/** How long one Director instance reuses a client's SystemAuth: the longest a revoked client's token still works there. */
export const SYSTEM_AUTH_CACHE_MS = 1000;
const SYSTEM_AUTH_CACHE_ENTRIES = 1000;

interface TokenClient {
  auth: SystemAuth | undefined;
  /** Whether the application the token names exists; true for admin tokens, which name none. */
  applicationExists: boolean;
}

/**
 * A verified access token refused because its client is no longer what the token says (revoked, deleted, its
 * application gone): the client sees the same 401; the claims say whose token it was (for the audit trail).
 */
export class AccessTokenRefusedError extends UnauthenticatedError {
  override readonly name: string = 'AccessTokenRefusedError';

  constructor(
    readonly refusal: ClientAuthenticationRefusal,
    message: string,
    readonly claims: Pick<AccessTokenClaims, 'sub' | 'tenant' | 'appId' | 'clientKind'>,
  ) {
    super(message);
  }
}

/**
 * RFC 8705 3: a certificate-bound token presented without its certificate, with another one, or with one that is no
 * longer accepted (revoked, retired, expired). 401 with RFC 6750 3's `invalid_token` challenge.
 */
export class BoundTokenRefusedError extends AccessTokenRefusedError {
  override readonly name: string = 'BoundTokenRefusedError';
  override readonly challenge: string;

  constructor(refusal: ClientAuthenticationRefusal, message: string, claims: Pick<AccessTokenClaims, 'sub' | 'tenant' | 'appId' | 'clientKind'>) {
    super(refusal, message, claims);
    // The description is ours and never quotes the request: no quote or backslash to escape.
    this.challenge = `Bearer error="invalid_token", error_description="${message}"`;
  }
}

/** RFC 6750 2.1: `Bearer <b64token>`, scheme case-insensitive. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export class BearerAuthenticator {
  private readonly recent = new Map<string, { client: TokenClient; readAt: number }>();

  constructor(
    private readonly systemAuths: Pick<SystemAuthRepository, 'get'>,
    private readonly applications: Pick<ApplicationRepository, 'get'>,
    /** Verifies an access token for an issuer (verifyAccessToken with the configuration's settings). */
    private readonly verify: (token: string, issuer: string) => Promise<AccessTokenClaims>,
    /** Checks the certificate a bound token is presented with: the Director's own certificate authentication. */
    private readonly certificates: Pick<ClientCertificateAuthenticator, 'authenticate'>,
  ) {}

  /**
   * The caller behind an `Authorization: Bearer <access token>` header; UnauthenticatedError naming what is wrong
   * otherwise. `issuer` is the `iss` the token must carry: the base URL of the API it is presented to. `presented` is
   * the client certificate of the request (mTLS endpoint), which a certificate-bound token must come with.
   */
  async authenticate(authorization: string | undefined, issuer: string, presented?: ClientCertificateData): Promise<Caller> {
    if (authorization === undefined || authorization.trim() === '') {
      throw new UnauthenticatedError('Authorization header is missing: send "Authorization: Bearer <access token>"');
    }
    const match = BEARER.exec(authorization);
    if (!match) throw new UnauthenticatedError('Authorization header is not "Bearer <access token>"');
    const claims = await this.verify(match[1], issuer);
    if (claims.certificateThumbprint !== undefined) return this.boundCaller(claims, presented);
    return callerOf(claims, await this.currentClient(claims));
  }

  /**
   * RFC 8705 3: a bound token is accepted only with the very certificate it names, and only while that certificate
   * passes the checks of an mTLS call (issued by a trusted CA, unexpired, unrevoked and not retired, its SystemAuth
   * ACTIVE, its application there), read afresh on every request. The token adds nothing the certificate could not do
   * on its own except that it may carry fewer scopes.
   */
  private async boundCaller(claims: AccessTokenClaims, presented: ClientCertificateData | undefined): Promise<Caller> {
    const refused = (refusal: ClientAuthenticationRefusal, message: string) => new BoundTokenRefusedError(refusal, message, claims);
    if (!presented) throw refused('MISMATCH', 'This access token is bound to a client certificate: call over the mTLS endpoint with that certificate');
    let certificateCaller;
    try {
      certificateCaller = await this.certificates.authenticate(presented);
    } catch (error) {
      if (error instanceof CertificateRefusedError) {
        throw refused(error.refusal, `The client certificate this access token is bound to is not accepted: ${error.message}`);
      }
      throw error;
    }
    if (thumbprintOfFingerprint(certificateCaller.certificateFingerprint) !== claims.certificateThumbprint) {
      throw refused('MISMATCH', 'This access token is bound to another client certificate');
    }
    if (certificateCaller.systemAuthId !== claims.sub || certificateCaller.tenant !== claims.tenant || certificateCaller.appId !== claims.appId) {
      throw refused('MISMATCH', 'Access token does not match its client certificate');
    }
    // Scopes taken away from the pairing since the token was issued are not honoured.
    const scopes = claims.scopes.filter((scope) => certificateCaller.scopes.includes(scope));
    return { kind: 'APPLICATION', tenant: certificateCaller.tenant, appId: certificateCaller.appId, systemAuthId: certificateCaller.systemAuthId, scopes, via: 'CERTIFICATE' };
  }

  /** Forgets the SystemAuths looked up recently (tests). */
  forgetRecent(): void {
    this.recent.clear();
  }

  /**
   * The token's SystemAuth, and whether its application still exists: a client that outlived its
   * application (pairing racing unregistering) must be refused. Both reads run together.
   */
  private async currentClient(claims: AccessTokenClaims): Promise<TokenClient> {
    const hit = this.recent.get(claims.sub);
    if (hit && Date.now() - hit.readAt < SYSTEM_AUTH_CACHE_MS) return hit.client;
    const [auth, application] = await Promise.all([
      this.systemAuths.get(claims.sub),
      claims.appId === undefined ? undefined : this.applications.get(claims.tenant, claims.appId),
    ]);
    const client = { auth, applicationExists: claims.appId === undefined || application !== undefined };
    if (this.recent.size >= SYSTEM_AUTH_CACHE_ENTRIES) this.recent.clear();
    this.recent.set(claims.sub, { client, readAt: Date.now() });
    return client;
  }
}

/** The caller a verified token stands for, given its client as it is now; UnauthenticatedError when that no longer holds. */
function callerOf(claims: AccessTokenClaims, { auth, applicationExists }: TokenClient): Caller {
  const refused = (refusal: ClientAuthenticationRefusal, message: string) => new AccessTokenRefusedError(refusal, message, claims);
  if (!auth || (auth.type !== OAUTH_CLIENT_TYPE && auth.type !== PUBLIC_KEY_CLIENT_TYPE)) throw refused('GONE', 'The OAuth client of this access token no longer exists');
  if (auth.status !== 'ACTIVE') throw refused('NOT_ACTIVE', 'The OAuth client of this access token is not active');
  if (auth.tenant !== claims.tenant || auth.kind !== claims.clientKind || auth.appId !== claims.appId) {
    throw refused('MISMATCH', 'Access token does not match its OAuth client');
  }
  if (!applicationExists) throw refused('GONE', 'The application of this access token no longer exists');
  // Scopes taken away from the client since the token was issued are not honoured.
  const scopes = claims.scopes.filter((scope) => auth.scopes.includes(scope));
  if (auth.kind === 'ADMIN') return { kind: 'ADMIN', tenant: auth.tenant, clientId: auth.id, scopes };
  return { kind: 'APPLICATION', tenant: auth.tenant, appId: auth.appId!, systemAuthId: auth.id, scopes, via: 'OAUTH' };
}
