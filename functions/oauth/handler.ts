// Lambda handler of the OAuth 2.0 server: the token endpoint and the two discovery documents.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApplicationRepository } from '../../shared/applications/repository';
import { ApplicationService } from '../../shared/applications/service';
import { withAuditRequest } from '../../shared/audit/request';
import { jsonResponse, publicBaseUrl } from '../../shared/http';
import { logger } from '../../shared/logger';
import { noteOperation, observedHandler } from '../../shared/observability/invocation';
import { OAuthClients, clientAuthenticationState } from '../../shared/oauth/clients';
import { storedVerifiersOf } from '../../shared/oauth/stored-verifiers';
import { handleJwksRequest, handleMetadataRequest, JWKS_PATH, METADATA_PATH, TOKEN_PATH } from '../../shared/oauth/metadata';
import { serverErrorResponse, TokenEndpoint } from '../../shared/oauth/token-endpoint';
import { INTROSPECTION_PATH, IntrospectionEndpoint } from '../../shared/oauth/introspection';
import { SystemAuthRepository } from '../../shared/system-auths/repository';
import { OAuthClientRecords } from '../../shared/system-auths/oauth-client-records';
import { config } from '../../shared/config';
import { AuditRepository } from '../../shared/audit/repository';
import { AuditRecorder } from '../../shared/audit/recorder';
import { issueAccessToken, verifyAccessToken } from '../../shared/oauth/access-tokens';
import { ClientCertificateAuthenticator } from '../../shared/auth/client-certificate';
import { CertificateRefusals } from '../../shared/certificate-refusals';
import { CertificateRepository } from '../../shared/system-auths/certificate-records';
import { PublicKeyClientGrants } from '../../shared/system-auths/private-key-jwt-grants';
import { ClientAssertionAuthenticator } from '../../shared/oauth/client-assertion';
import { accessTokenSigner, aws, caRegistry, kms, readTogether, secrets, signingKeys } from '../container';

/** The composition of this function: the token endpoint over its stores, built once per container. */
export function tokenEndpoint(): TokenEndpoint {
  const systemAuths = new SystemAuthRepository(aws.dynamo, config().systemAuthsTable);
  const certificates = new CertificateRepository(aws.dynamo, config().systemAuthsTable, config);
  const applicationStore = new ApplicationRepository(aws.dynamo, config().applicationsTable, config);
  const audit = new AuditRecorder(new AuditRepository(aws.dynamo, config().auditTable), () => new Date(), config().auditRetentionDays);
  const state = clientAuthenticationState();
  return new TokenEndpoint(
    new OAuthClients(systemAuths, new OAuthClientRecords(aws.dynamo, config().systemAuthsTable, config), secrets, state, storedVerifiersOf(kms, config())),
    systemAuths,
    new ApplicationService(applicationStore),
    (client, scopes, issuer, confirmation) => issueAccessToken(accessTokenSigner, client, scopes, issuer, config(), undefined, confirmation),
    audit,
    config,
    // tls_client_auth (RFC 8705) on the mTLS endpoint: the very authenticator the Director's mTLS calls go through.
    new ClientCertificateAuthenticator(systemAuths, certificates, applicationStore, () => caRegistry.trustedCas(), readTogether),
    new CertificateRefusals(certificates, audit),
    // private_key_jwt: assertions checked against the public keys of clients paired with one, with the same slow-down of failures.
    new ClientAssertionAuthenticator(new PublicKeyClientGrants(aws.dynamo, config().systemAuthsTable, config), state.failures),
  );
}

const tokens = tokenEndpoint();

/** RFC 7662 introspection: the caller is an OAuth client of the token's tenant; every read is fresh. */
export function introspectionEndpoint(): IntrospectionEndpoint {
  const systemAuths = new SystemAuthRepository(aws.dynamo, config().systemAuthsTable);
  const audit = new AuditRecorder(new AuditRepository(aws.dynamo, config().auditTable), () => new Date(), config().auditRetentionDays);
  return new IntrospectionEndpoint(
    new OAuthClients(systemAuths, new OAuthClientRecords(aws.dynamo, config().systemAuthsTable, config), secrets, clientAuthenticationState(), storedVerifiersOf(kms, config())),
    systemAuths,
    new ApplicationRepository(aws.dynamo, config().applicationsTable, config),
    audit,
    (token, issuer) => verifyAccessToken(signingKeys, token, issuer, config()),
    config,
    new CertificateRepository(aws.dynamo, config().systemAuthsTable, config),
  );
}

const introspection = introspectionEndpoint();

export const handler = observedHandler('oauth', async (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  if (context) logger.addContext(context);
  const route = event.resource || event.path;
  if (route === TOKEN_PATH || route === METADATA_PATH || route === INTROSPECTION_PATH) {
    // Issuer and token URL are the base URL's: a deployment without one refuses here, before a token request authenticates anyone.
    try {
      publicBaseUrl(event, config());
    } catch (error) {
      logger.error('the OAuth server cannot answer: its public base URL is missing', { error });
      return serverErrorResponse();
    }
  }
  switch (route) {
    case TOKEN_PATH:
      noteOperation('token');
      return withAuditRequest(event, () => tokens.handle(event));
    case INTROSPECTION_PATH:
      noteOperation('introspect');
      return withAuditRequest(event, () => introspection.handle(event));
    case METADATA_PATH:
      noteOperation('metadata');
      return handleMetadataRequest(event, config());
    case JWKS_PATH:
      noteOperation('jwks');
      return handleJwksRequest(signingKeys);
    default:
      return jsonResponse(404, { error: 'not_found' });
  }
});
