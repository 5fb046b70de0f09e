// Access tokens: JWTs (RFC 9068 profile) issued to OAuth clients and verified against the published signing keys.
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { JWTHeaderParameters } from 'jose';
import { config } from '../config';
import { UnauthenticatedError } from '../errors';
import type { SystemAuth, SystemAuthKind } from '../system-auths/types';
import { activeSigningKey, SIGNING_ALGORITHMS, verificationKey } from './signing-keys';

/** RFC 9068 media type of JWT access tokens, so an ID token or other JWT signed elsewhere is never taken for one. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * Clock skew tolerated between this service's functions: on exp, on an iat in the future (a token issued
 * later than that was not issued by us as it claims), and on the token's age.
 */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The `aud` of every access token of this stage: tokens of another stage are refused. */
export const accessTokenAudience = (): string => `pairing-service:${config().stage}`;

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  scopes: string[];
}

export interface AccessTokenClaims {
  iss: string;
  /** The OAuth client id (= SystemAuth id). */
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  tenant: string;
  clientKind: SystemAuthKind;
  appId?: string;
  scopes: string[];
}

/** Signs an access token for the client with the given (already checked) scopes. */
export async function issueAccessToken(
  client: SystemAuth,
  scopes: string[],
  issuer: string,
  lifetimeSeconds: number = config().accessTokenTtlSeconds,
): Promise<IssuedAccessToken> {
  const { kid, alg, key } = await activeSigningKey();
  const claims: Record<string, string> = { scope: scopes.join(' '), tenant: client.tenant, client_kind: client.kind };
  if (client.kind === 'APPLICATION' && client.appId !== undefined) claims.app_id = client.appId;
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT(claims)
    .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(issuer)
    .setSubject(client.id)
    .setAudience(accessTokenAudience())
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .setJti(randomUUID())
    .sign(key);
  return { accessToken, expiresIn: lifetimeSeconds, scopes };
}

async function keyFor(header: JWTHeaderParameters) {
  if (typeof header.kid !== 'string') throw new UnauthenticatedError('Access token header has no kid');
  const key = await verificationKey(header.kid);
  if (!key) throw new UnauthenticatedError('Access token was signed with an unknown key');
  if (key.alg !== header.alg) throw new UnauthenticatedError('Access token algorithm does not match its key');
  return key.key;
}

function describeJoseFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'Access token has expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'Access token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'Access token algorithm is not accepted';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'Access token is not meant for this service';
    if (error.claim === 'iss') return error.reason === 'missing' ? 'Access token has no issuer' : 'Access token was issued by another issuer';
    if (error.claim === 'typ') return 'Token is not an access token';
    if (error.claim === 'iat') return 'Access token was issued in the future';
    return `Access token claim "${error.claim}" is invalid`;
  }
  return 'Access token is malformed';
}

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * Checks signature (by kid), algorithm, type, issuer, audience, expiry and age (iat); throws UnauthenticatedError naming
 * what failed. `issuer` is the base URL of the API the token is presented to (shared/http.ts publicBaseUrl): the
 * configured one, or on the local stage the one the request reached. It is always checked.
 */
export async function verifyAccessToken(jwt: string, issuer: string): Promise<AccessTokenClaims> {
  let payload;
  try {
    ({ payload } = await jwtVerify(jwt, keyFor, {
      algorithms: [...SIGNING_ALGORITHMS],
      audience: accessTokenAudience(),
      typ: ACCESS_TOKEN_TYPE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iss', 'sub', 'exp', 'iat', 'jti'],
      issuer,
      // No token lives longer than the lifetime this service gives them (plus the tolerance), whatever its
      // exp says; jose then also refuses an iat beyond the tolerance in the future.
      maxTokenAge: config().accessTokenTtlSeconds,
    }));
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    if (error instanceof errors.JOSEError) throw new UnauthenticatedError(describeJoseFailure(error));
    throw error;
  }
  const { tenant, client_kind: clientKind, app_id: appId, scope } = payload;
  if (!isString(tenant) || tenant === '') throw new UnauthenticatedError('Access token has no tenant');
  if (clientKind !== 'ADMIN' && clientKind !== 'APPLICATION') throw new UnauthenticatedError('Access token has no valid client_kind');
  if (clientKind === 'APPLICATION' && !isString(appId)) throw new UnauthenticatedError('Access token of an application has no app_id');
  if (!isString(scope)) throw new UnauthenticatedError('Access token has no scope');
  const claims: AccessTokenClaims = {
    iss: payload.iss!,
    sub: payload.sub!,
    jti: payload.jti!,
    iat: payload.iat!,
    exp: payload.exp!,
    tenant,
    clientKind,
    scopes: scope.split(' ').filter((s) => s !== ''),
  };
  if (clientKind === 'APPLICATION') claims.appId = appId as string;
  return claims;
}
