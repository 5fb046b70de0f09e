// POST /oauth2/token: the RFC 6749 4.4 client credentials grant, with RFC 6749 5.2 error responses; on the mTLS endpoint
// also RFC 8705 tls_client_auth, whose tokens are bound to the client certificate.
import { X509Certificate } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApplicationService } from '../applications/service';
import { AuditRecorder } from '../audit/recorder';
import { UNATTRIBUTED_TENANT, type AuditEventInput } from '../audit/types';
import { bodyBytes, header, jsonResponse, MAX_REQUEST_BYTES, publicBaseUrl , type BaseUrlSettings } from '../http';
import { logger } from '../logger';
import { noteOutcome } from '../observability/invocation';
import { SCOPE_TOKEN } from '../scopes';
import type { SystemAuthRepository } from '../system-auths/repository';
import { CertificateRefusedError, clientCertificateOf, commonNameOf, thumbprintOfFingerprint, type CertificateCaller, type ClientCertificateData } from '../auth/client-certificate';
import type { IssuedAccessToken, TokenConfirmation } from './access-tokens';
import type { SystemAuth } from '../system-auths/types';
import type { AuthenticatedClient, OAuthClients } from './clients';
import { ClientAuthenticationRefusedError, invalidClient, OAUTH_REALM, OAuthError, type RefusedClient } from './errors';
import { parseAssertionTokenRequest, usesClientAssertion, type ClientAssertionAuthenticator } from './client-assertion';

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

type TokenEvent = Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded' | 'queryStringParameters' | 'requestContext'>;

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
function parseGrant(event: TokenEvent): Map<string, string> {
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

/** Whom a token is issued to. */
export type IssuedTo = Pick<SystemAuth, 'id' | 'tenant' | 'kind' | 'appId'>;

/** Headers every token endpoint response carries (RFC 6749 5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * RFC 6749 5.2: a 401 carries a `WWW-Authenticate` challenge only when the client authenticated with
 * the Authorization header, and then for the scheme it used (Basic, the only one supported). A client
 * that sent client_secret_post gets no challenge: strict client libraries read a challenge as "use
 * HTTP authentication" and would not report `invalid_client`.
 */
export function oauthErrorResponse(error: OAuthError, usedAuthorizationHeader: boolean): APIGatewayProxyResult {
  const challenge: Record<string, string> =
    error.error === 'invalid_client' && usedAuthorizationHeader ? { 'www-authenticate': `Basic realm="${OAUTH_REALM}"` } : {};
  return jsonResponse(error.httpStatus, { error: error.error, error_description: error.description }, { ...NO_STORE, ...challenge });
}

export function serverErrorResponse(): APIGatewayProxyResult {
  return jsonResponse(500, { error: 'server_error' }, NO_STORE);
}

/** The token endpoint over the OAuth clients, their SystemAuths and the applications they belong to. */
export class TokenEndpoint {
  constructor(
    private readonly clients: Pick<OAuthClients, 'authenticate' | 'revoke'>,
    private readonly systemAuths: Pick<SystemAuthRepository, 'markUsed'>,
    private readonly applications: Pick<ApplicationService, 'markConnected'>,
    /** Signs an access token (issueAccessToken with the configuration's settings). */
    private readonly issue: (client: IssuedTo, scopes: string[], issuer: string, confirmation?: TokenConfirmation) => Promise<IssuedAccessToken>,
    private readonly audit: Pick<AuditRecorder, 'record' | 'refused'>,
    /** Where the issuer comes from (publicBaseUrl), read at each request. */
    private readonly settings: () => BaseUrlSettings,
    /** tls_client_auth: exactly the Director's certificate authentication. */
    private readonly certificates: CertificateClientAuthentication,
    /** Records refused client certificates as the Director does. */
    private readonly certificateRefusals: { record(event: unknown, error: unknown): Promise<void> },
    /** private_key_jwt (RFC 7523 2.2): PRIVATE_KEY_JWT clients' assertions. */
    private readonly assertions: Pick<ClientAssertionAuthenticator, 'authenticate' | 'recordGrant' | 'revokeOrphaned'>,
  ) {}

  async handle(event: TokenEvent): Promise<APIGatewayProxyResult> {
    try {
      // Only API Gateway's mTLS custom domain (locally the mTLS endpoint) puts a certificate into the request context.
      let presented: ClientCertificateData | undefined;
      try {
        presented = clientCertificateOf(event);
      } catch (error) {
        await this.certificateRefusals.record(event, error);
        throw invalidClient();
      }
      if (presented) return await this.grantBound(event, presented);
      const form = parseGrant(event);
      if (usesClientAssertion(form)) return await this.grantAsserted(event, form);
      const request = parseTokenRequest(event);
      const client = await this.clients.authenticate(request.credentials.clientId, request.credentials.clientSecret);
      const scopes = grantedScopes(request.scopes, client.scopes);
      await this.onClientAuthenticated(client);
      const issued = await this.issue(client, scopes, publicBaseUrl(event, this.settings()));
      logger.info('access token issued', { clientId: client.id, tenant: client.tenant, clientKind: client.kind, scope: scopes.join(' ') });
      // The grant, never the token.
      await this.audit.record({
        tenant: client.tenant, action: 'ACCESS_TOKEN_GRANTED', outcome: 'SUCCESS',
        actor: client.kind === 'ADMIN' ? { kind: 'ADMINISTRATOR', id: client.id } : { kind: 'APPLICATION', id: client.id, via: 'OAUTH' },
        target: { applicationId: client.appId, systemAuthId: client.id }, details: { scope: scopes.join(' '), expiresIn: issued.expiresIn },
      });
      return jsonResponse(
        200,
        { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scopes.join(' ') },
        NO_STORE,
      );
    } catch (error) {
      if (error instanceof OAuthError) {
        logger.info('token request refused', { error: error.error, description: error.description });
        noteOutcome(error.error.toUpperCase());
        if (error instanceof ClientAuthenticationRefusedError) await this.audit.refused(clientRefusal(error.refusal));
        return oauthErrorResponse(error, header(event, 'authorization') !== undefined);
      }
      noteOutcome('INTERNAL');
      logger.error('token request failed', { error: error instanceof Error ? { name: error.name, message: error.message } : 'unknown' });
      return serverErrorResponse();
    }
  }

  /**
   * RFC 8705: a client certificate pairing's token, bound to the certificate it authenticated with. The client id must
   * be the certificate's own SystemAuth (its CN), compared before authentication so that a refused request writes
   * nothing; authentication then checks everything the Director checks and records the use as a Director call does.
   */
  private async grantBound(event: TokenEvent, presented: ClientCertificateData): Promise<APIGatewayProxyResult> {
    const request = parseCertificateTokenRequest(event);
    let claimedId: string | undefined;
    try {
      claimedId = commonNameOf(new X509Certificate(presented.clientCertPem));
    } catch {
      claimedId = undefined;
    }
    if (claimedId !== request.clientId) {
      await this.audit.refused({
        tenant: UNATTRIBUTED_TENANT, action: 'CLIENT_AUTHENTICATION_REFUSED', outcome: 'REFUSED', reasonCode: 'MISMATCH',
        reason: 'client_id is not the SystemAuth of the client certificate', actor: { kind: 'UNAUTHENTICATED', id: request.clientId },
        details: { via: 'CERTIFICATE' },
      });
      throw invalidClient();
    }
    let caller: CertificateCaller;
    try {
      caller = await this.certificates.authenticate(presented);
    } catch (error) {
      if (!(error instanceof CertificateRefusedError)) throw error;
      await this.certificateRefusals.record(event, error);
      throw invalidClient();
    }
    const scopes = grantedScopes(request.scopes, caller.scopes);
    const confirmation: TokenConfirmation = { certificateThumbprint: thumbprintOfFingerprint(caller.certificateFingerprint) };
    const client = { id: caller.systemAuthId, tenant: caller.tenant, kind: 'APPLICATION' as const, appId: caller.appId };
    const issued = await this.issue(client, scopes, publicBaseUrl(event, this.settings()), confirmation);
    logger.info('certificate-bound access token issued', { clientId: client.id, tenant: client.tenant, scope: scopes.join(' ') });
    await this.audit.record({
      tenant: client.tenant, action: 'ACCESS_TOKEN_GRANTED', outcome: 'SUCCESS',
      actor: { kind: 'APPLICATION', id: client.id, via: 'CERTIFICATE', certificateFingerprint: caller.certificateFingerprint },
      target: { applicationId: client.appId, systemAuthId: client.id, certificateFingerprint: caller.certificateFingerprint },
      details: { scope: scopes.join(' '), expiresIn: issued.expiresIn, boundToCertificate: true },
    });
    return jsonResponse(
      200,
      { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scopes.join(' ') },
      NO_STORE,
    );
  }

  /**
   * private_key_jwt: the client proved itself with an assertion signed by one of its registered public keys. The
   * same grant as a secret's (scopes, CONNECTED, the orphan check, audit), with the key's use recorded.
   */
  private async grantAsserted(event: TokenEvent, form: ReadonlyMap<string, string>): Promise<APIGatewayProxyResult> {
    const request = parseAssertionTokenRequest(event, form);
    const issuer = publicBaseUrl(event, this.settings());
    const asserted = await this.assertions.authenticate(request, { issuer, tokenEndpoint: `${issuer}${TOKEN_PATH}` });
    const { client } = asserted;
    const scopes = grantedScopes(parseScope(form.get('scope')), client.scopes);
    if (!(await this.assertions.recordGrant(asserted))) throw invalidClient();
    if (client.appId === undefined || !(await this.applications.markConnected(client.tenant, client.appId))) {
      try {
        await this.assertions.revokeOrphaned(client);
        logger.warn('revoked a private_key_jwt client whose application no longer exists', { clientId: client.id, tenant: client.tenant });
      } catch (error) {
        logger.error('could not revoke a private_key_jwt client whose application no longer exists', {
          clientId: client.id, error: (error as { name?: string } | undefined)?.name ?? 'unknown error',
        });
      }
      throw invalidClient();
    }
    const issued = await this.issue(client, scopes, issuer);
    logger.info('access token issued', { clientId: client.id, tenant: client.tenant, clientKind: client.kind, scope: scopes.join(' '), clientAuthentication: 'private_key_jwt' });
    await this.audit.record({
      tenant: client.tenant, action: 'ACCESS_TOKEN_GRANTED', outcome: 'SUCCESS',
      actor: { kind: 'APPLICATION', id: client.id, via: 'OAUTH' },
      target: { applicationId: client.appId, systemAuthId: client.id },
      details: { scope: scopes.join(' '), expiresIn: issued.expiresIn, clientAuthentication: 'private_key_jwt', kid: asserted.kid },
    });
    return jsonResponse(
      200,
      { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scopes.join(' ') },
      NO_STORE,
    );
  }

  /**
   * Runs after a client proved its credentials, before its token is issued: records the use, and an
   * application's first grant sets it CONNECTED (API.md section 2). A client whose application is gone
   * gets no token: pairing racing unregistering can leave one behind, and it is revoked here.
   */
  async onClientAuthenticated(systemAuth: AuthenticatedClient): Promise<void> {
    // Revoked or deleted since authenticateClient read it (the client, or the secret it presented): it must not get a token.
    // The one write of a grant, whether or not it also stamps the secret's own lastUsedAt.
    const { usedSecret } = systemAuth;
    const used = usedSecret === undefined ? await this.systemAuths.markUsed(systemAuth.id) : await this.systemAuths.markUsed(systemAuth.id, new Date(), usedSecret);
    if (!used) throw invalidClient();
    if (systemAuth.kind !== 'APPLICATION') return;
    if (systemAuth.appId !== undefined && (await this.applications.markConnected(systemAuth.tenant, systemAuth.appId))) return;
    try {
      await this.clients.revoke(systemAuth);
      logger.warn('revoked an OAuth client whose application no longer exists', { clientId: systemAuth.id, tenant: systemAuth.tenant });
    } catch (error) {
      // The refusal does not depend on it: the next grant of this client tries again.
      logger.error('could not revoke an OAuth client whose application no longer exists', {
        clientId: systemAuth.id,
        error: (error as { name?: string } | undefined)?.name ?? 'unknown error',
      });
    }
    throw invalidClient();
  }
}

/**
 * The audit event of a refused client authentication: in the client's tenant when the presented id names an OAuth
 * client (a wrong secret, a revoked client), else unattributed. The actor is the claimed client id, never the secret.
 */
export function clientRefusal(refusal: RefusedClient): AuditEventInput {
  const { code, reason, client } = refusal;
  // Which check an assertion failed (never the assertion): a fixed reason keeps repeats aggregated, the detail says more.
  const problem: Record<string, string> = 'detail' in refusal ? { problem: refusal.detail } : {};
  if (!client) {
    return {
      tenant: UNATTRIBUTED_TENANT, action: 'CLIENT_AUTHENTICATION_REFUSED', outcome: 'REFUSED', reason, reasonCode: code, actor: { kind: 'UNAUTHENTICATED' },
      ...('detail' in refusal ? { details: problem } : {}),
    };
  }
  return {
    tenant: client.tenant, action: 'CLIENT_AUTHENTICATION_REFUSED', outcome: 'REFUSED', reason, reasonCode: code,
    actor: { kind: 'UNAUTHENTICATED', id: client.id },
    target: { applicationId: client.appId, systemAuthId: client.id }, details: { clientKind: client.kind, ...problem },
  };
}
