// POST /oauth2/introspect (RFC 7662): whether an access token is active now, asked by a client of the token's tenant.
import { CLIENT_CERTIFICATE_TYPE } from '../system-auths/certificate-auths';
import { OAUTH_CLIENT_TYPE } from '../system-auths/oauth-client-records';
import { PUBLIC_KEY_CLIENT_TYPE } from '../system-auths/private-key-jwt-clients';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApplicationRepository } from '../applications/repository';
import type { AuditRecorder } from '../audit/recorder';
import { UnauthenticatedError } from '../errors';
import { header, jsonResponse, publicBaseUrl, type BaseUrlSettings } from '../http';
import { logger } from '../logger';
import { noteOutcome } from '../observability/invocation';
import type { CertificateRepository } from '../system-auths/certificate-records';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';
import { accessTokenAudience, type AccessTokenClaims } from './access-tokens';
import type { AuthenticatedClient, OAuthClients } from './clients';
import { ClientAuthenticationRefusedError, OAuthError } from './errors';
import { clientRefusal, oauthErrorResponse, serverErrorResponse } from './token-endpoint';
import { parseBasicCredentials, parseForm, type ClientCredentials } from './token-request';

export { INTROSPECTION_PATH } from './metadata';

type IntrospectionEvent = Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded' | 'queryStringParameters' | 'requestContext'>;

/** What RFC 7662 2.2 answers for every token that is not active, whatever the reason (nothing more is said). */
const INACTIVE = { active: false } as const;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export interface IntrospectionRequest {
  caller: ClientCredentials;
  token: string;
}

/** Reads and checks the request: the caller's credentials (Basic or client_secret_post) and the token (RFC 7662 2.1). */
export function parseIntrospectionRequest(event: IntrospectionEvent): IntrospectionRequest {
  if (Object.keys(event.queryStringParameters ?? {}).length > 0) {
    throw new OAuthError('invalid_request', 'Send the introspection parameters in the form body, not in the URL');
  }
  const form = parseForm(event);
  const token = form.get('token');
  const authorization = header(event, 'authorization');
  let caller: ClientCredentials;
  if (authorization !== undefined) {
    if (form.has('client_secret')) throw new OAuthError('invalid_request', 'Use one client authentication method: Basic or client_secret, not both');
    caller = parseBasicCredentials(authorization);
  } else if (form.has('client_id') && form.has('client_secret')) {
    caller = { clientId: form.get('client_id')!, clientSecret: form.get('client_secret')! };
  } else {
    throw new OAuthError('invalid_client', 'Client authentication is missing: use HTTP Basic or client_id and client_secret');
  }
  if (token === undefined) throw new OAuthError('invalid_request', 'token is missing');
  // token_type_hint is optional and only a hint (RFC 7662 2.1): this server has access tokens only.
  return { caller, token };
}

/** The introspection endpoint over the OAuth clients, their SystemAuths and applications; nothing is cached. */
export class IntrospectionEndpoint {
  constructor(
    private readonly clients: Pick<OAuthClients, 'authenticate'>,
    private readonly systemAuths: Pick<SystemAuthRepository, 'get'>,
    private readonly applications: Pick<ApplicationRepository, 'get'>,
    private readonly audit: Pick<AuditRecorder, 'refused'>,
    /** Verifies an access token (verifyAccessToken with the configuration's settings). */
    private readonly verify: (token: string, issuer: string) => Promise<AccessTokenClaims>,
    /** Where the issuer comes from (publicBaseUrl) and the stage of the tokens' audience, read at each request. */
    private readonly settings: () => BaseUrlSettings,
    /** The certificate records a certificate-bound token (RFC 8705) depends on. */
    private readonly certificates: Pick<CertificateRepository, 'find'>,
  ) {}

  async handle(event: IntrospectionEvent): Promise<APIGatewayProxyResult> {
    try {
      const request = parseIntrospectionRequest(event);
      const caller = await this.clients.authenticate(request.caller.clientId, request.caller.clientSecret);
      const answer = await this.introspect(caller, request.token, publicBaseUrl(event, this.settings()));
      logger.info('token introspected', { callerId: caller.id, tenant: caller.tenant, active: answer.active });
      return jsonResponse(200, answer, NO_STORE);
    } catch (error) {
      if (error instanceof OAuthError) {
        logger.info('introspection request refused', { error: error.error, description: error.description });
        noteOutcome(error.error.toUpperCase());
        if (error instanceof ClientAuthenticationRefusedError) await this.audit.refused(clientRefusal(error.refusal));
        return oauthErrorResponse(error, header(event, 'authorization') !== undefined);
      }
      noteOutcome('INTERNAL');
      logger.error('introspection request failed', { error: error instanceof Error ? { name: error.name, message: error.message } : 'unknown' });
      return serverErrorResponse();
    }
  }

  /**
   * active: true only for a token that verifies (signature, issuer, audience, not expired) whose tenant is the caller's,
   * whose client is still an ACTIVE OAuth client matching the token (for a certificate-bound token: its ACTIVE certificate
   * pairing, and the certificate still live) and whose application still exists; its scope is what the client still
   * holds. Read now, without the Director's 1 s reuse.
   */
  async introspect(caller: AuthenticatedClient, token: string, issuer: string): Promise<Record<string, unknown>> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.verify(token, issuer);
    } catch (error) {
      if (error instanceof UnauthenticatedError) return INACTIVE;
      throw error;
    }
    // Another tenant's token is none of the caller's business: not even whether it is valid.
    if (claims.tenant !== caller.tenant) return INACTIVE;
    const [auth, application] = await Promise.all([
      this.systemAuths.get(claims.sub),
      claims.appId === undefined ? undefined : this.applications.get(claims.tenant, claims.appId),
    ]);
    if (!auth || !expectedTypes(claims).includes(auth.type) || auth.status !== 'ACTIVE') return INACTIVE;
    if (auth.tenant !== claims.tenant || auth.kind !== claims.clientKind || auth.appId !== claims.appId) return INACTIVE;
    if (claims.appId !== undefined && application === undefined) return INACTIVE;
    if (claims.certificateThumbprint !== undefined && !(await this.certificateIsLive(claims.sub, claims.certificateThumbprint))) return INACTIVE;
    const scopes = claims.scopes.filter((scope) => auth.scopes.includes(scope));
    return {
      active: true,
      scope: scopes.join(' '),
      client_id: claims.sub,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: accessTokenAudience(this.settings().stage),
      iss: claims.iss,
      jti: claims.jti,
      tenant: claims.tenant,
      client_kind: claims.clientKind,
      ...(claims.appId === undefined ? {} : { app_id: claims.appId }),
      // RFC 8705 3.2: the resource server compares it with the certificate its client presented.
      ...(claims.certificateThumbprint === undefined ? {} : { cnf: { 'x5t#S256': claims.certificateThumbprint } }),
    };
  }

  /**
   * A bound token lives as long as its certificate: recorded under the token's SystemAuth, not revoked (nor retired by
   * a renewal), not expired. The record's key is the hex of the same SHA-256 the thumbprint encodes.
   */
  private async certificateIsLive(systemAuthId: string, thumbprint: string): Promise<boolean> {
    const record = await this.certificates.find(systemAuthId, Buffer.from(thumbprint, 'base64url').toString('hex'));
    return record !== undefined && !record.revoked && Date.parse(record.notAfter) > Date.now();
  }
}

/** A bound token (cnf) is a certificate pairing's (tls_client_auth); any other is an OAuth client's (a secret or private_key_jwt). */
const expectedTypes = (claims: AccessTokenClaims): readonly SystemAuth['type'][] =>
  claims.certificateThumbprint === undefined ? [OAUTH_CLIENT_TYPE, PUBLIC_KEY_CLIENT_TYPE] : [CLIENT_CERTIFICATE_TYPE];
