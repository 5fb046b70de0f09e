// POST /oauth2/token: the RFC 6749 4.4 client credentials grant, with RFC 6749 5.2 error responses; on the mTLS endpoint
// also RFC 8705 tls_client_auth, whose tokens are bound to the client certificate.
import { X509Certificate } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ApplicationService } from '../applications/service';
import { AuditRecorder } from '../audit/recorder';
import { UNATTRIBUTED_TENANT, type AuditEventInput } from '../audit/types';
import { header, jsonResponse, publicBaseUrl, type BaseUrlSettings } from '../http';
import { logger } from '../logger';
import { noteOutcome } from '../observability/invocation';
import type { SystemAuthRepository } from '../system-auths/repository';
import { CertificateRefusedError, clientCertificateOf, commonNameOf, thumbprintOfFingerprint, type CertificateCaller, type ClientCertificateData } from '../auth/client-certificate';
import type { IssuedAccessToken, TokenConfirmation } from './access-tokens';
import type { SystemAuth } from '../system-auths/types';
import type { AuthenticatedClient, OAuthClients } from './clients';
import { ClientAuthenticationRefusedError, invalidClient, OAUTH_REALM, OAuthError, type RefusedClient } from './errors';
import { parseAssertionTokenRequest, usesClientAssertion, type ClientAssertionAuthenticator } from './client-assertion';
import { grantedScopes, parseCertificateTokenRequest, parseGrant, parseScope, parseTokenRequest, TOKEN_PATH, type CertificateClientAuthentication, type TokenEvent } from './token-request';

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
