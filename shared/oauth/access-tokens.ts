// Access tokens: JWTs (RFC 9068 profile) issued to OAuth clients and verified against the published signing keys.
import { randomUUID } from 'node:crypto';
import { base64url, errors, jwtVerify } from 'jose';
import type { JWTHeaderParameters } from 'jose';
import { signWithKms } from '../aws/kms';
import { SERVICE_NAME, type Config } from '../config';
import type { AccessTokenClaims } from '../auth/token-claims';
import { UnauthenticatedError } from '../errors';
import type { SystemAuth } from '../system-auths/types';
import { derToJoseSignature } from './ecdsa-signature';
import { activeSigningKey, CLOCK_TOLERANCE_SECONDS, KMS_SIGNING_ALGORITHM, SIGNING_ALGORITHMS, verificationKey, type ActiveSigningKey } from './signing-keys';

export { CLOCK_TOLERANCE_SECONDS };
export type { AccessTokenClaims };

/** RFC 9068 media type of JWT access tokens, so an ID token or other JWT signed elsewhere is never taken for one. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

/** The `aud` of every access token of this stage: tokens of another stage are refused. */
export const accessTokenAudience = (stage: string): string => `${SERVICE_NAME}:${stage}`;

/** What issuing and verifying access tokens read of the configuration. */
export type AccessTokenSettings = Pick<Config, 'stage' | 'accessTokenTtlSeconds'>;

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  scopes: string[];
}

/** What a token is bound to when issued (RFC 7800 `cnf`): the certificate's x5t#S256 thumbprint. */
export interface TokenConfirmation {
  certificateThumbprint: string;
}

/** base64url of 32 bytes (a SHA-256), no padding. */
const SHA256_BASE64URL = /^[A-Za-z0-9_-]{43}$/;

const encodeJson = (value: unknown): string => base64url.encode(JSON.stringify(value));

/**
 * A compact JWS (RFC 7515) of `payload` signed by KMS with `key`: the signing input is built here, KMS signs it
 * (ECDSA_SHA_256 over the RAW message) and its DER signature becomes the 64-byte r || s that ES256 prescribes.
 * `header` adds to (and may, for tests of refusals, override) the protected header {alg, kid}.
 */
export async function signJwsWithKms(key: ActiveSigningKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const signingInput = `${encodeJson({ alg: key.alg, kid: key.kid, ...header })}.${encodeJson(payload)}`;
  const der = await signWithKms(key.keyArn, Buffer.from(signingInput, 'ascii'), KMS_SIGNING_ALGORITHM);
  return `${signingInput}.${base64url.encode(derToJoseSignature(der, 32))}`;
}

/** Signs an access token for the client with the given (already checked) scopes. */
export async function issueAccessToken(
  client: Pick<SystemAuth, 'id' | 'tenant' | 'kind' | 'appId'>,
  scopes: string[],
  issuer: string,
  settings: AccessTokenSettings,
  lifetimeSeconds: number = settings.accessTokenTtlSeconds,
  confirmation?: TokenConfirmation,
): Promise<IssuedAccessToken> {
  const key = await activeSigningKey();
  const now = Math.floor(Date.now() / 1000);
  // The claims in the order jose's SignJWT writes them: private claims first, then the registered ones.
  const claims: Record<string, unknown> = { scope: scopes.join(' '), tenant: client.tenant, client_kind: client.kind };
  if (client.kind === 'APPLICATION' && client.appId !== undefined) claims.app_id = client.appId;
  if (confirmation) claims.cnf = { 'x5t#S256': confirmation.certificateThumbprint };
  Object.assign(claims, { iss: issuer, sub: client.id, aud: accessTokenAudience(settings.stage), iat: now, exp: now + lifetimeSeconds, jti: randomUUID() });
  const accessToken = await signJwsWithKms(key, claims, { typ: ACCESS_TOKEN_TYPE });
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
export async function verifyAccessToken(jwt: string, issuer: string, settings: AccessTokenSettings): Promise<AccessTokenClaims> {
  let payload;
  try {
    ({ payload } = await jwtVerify(jwt, keyFor, {
      algorithms: [...SIGNING_ALGORITHMS],
      audience: accessTokenAudience(settings.stage),
      typ: ACCESS_TOKEN_TYPE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iss', 'sub', 'exp', 'iat', 'jti'],
      issuer,
      // No token lives longer than the lifetime this service gives them (plus the tolerance), whatever its
      // exp says; jose then also refuses an iat beyond the tolerance in the future.
      maxTokenAge: settings.accessTokenTtlSeconds,
    }));
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    if (error instanceof errors.JOSEError) throw new UnauthenticatedError(describeJoseFailure(error));
    throw error;
  }
  const { tenant, client_kind: clientKind, app_id: appId, scope, cnf } = payload;
  if (!isString(tenant) || tenant === '') throw new UnauthenticatedError('Access token has no tenant');
  if (clientKind !== 'ADMIN' && clientKind !== 'APPLICATION') throw new UnauthenticatedError('Access token has no valid client_kind');
  if (clientKind === 'APPLICATION' && !isString(appId)) throw new UnauthenticatedError('Access token of an application has no app_id');
  if (!isString(scope)) throw new UnauthenticatedError('Access token has no scope');
  const certificateThumbprint = confirmationOf(cnf);
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
  if (certificateThumbprint !== undefined) claims.certificateThumbprint = certificateThumbprint;
  return claims;
}

/**
 * The certificate thumbprint of a `cnf` claim; undefined without one. A `cnf` this service cannot check (another
 * confirmation method, a malformed thumbprint) refuses the token: ignoring it would make a bound token a bearer one.
 */
function confirmationOf(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  const thumbprint = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  if (!isString(thumbprint) || !SHA256_BASE64URL.test(thumbprint) || Object.keys(cnf as object).length !== 1) {
    throw new UnauthenticatedError('Access token has a cnf claim other than one x5t#S256 certificate thumbprint');
  }
  return thumbprint;
}
