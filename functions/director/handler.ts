// Lambda handler of POST /director/graphql (HTTPS and mTLS): the Director GraphQL API, and GET /director/schema.graphql: its SDL.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApplicationRepository } from '../../shared/applications/repository';
import { ApplicationService } from '../../shared/applications/service';
import { withAuditRequest } from '../../shared/audit/request';
import { AuditReader } from '../../shared/audit/reading';
import { AuditRecorder } from '../../shared/audit/recorder';
import { BearerAuthenticator } from '../../shared/auth/bearer';
import { ClientCertificateAuthenticator } from '../../shared/auth/client-certificate';
import { CertificateRefusals } from '../../shared/certificate-refusals';
import type { DirectorServices } from '../../shared/director/context';
import { directorEndpoint } from '../../shared/director/endpoint';
import { directorSdl } from '../../shared/director/schema';
import { handleGraphQLRequest, schemaResponse } from '../../shared/graphql/endpoint';
import { logger } from '../../shared/logger';
import { observedHandler } from '../../shared/observability/invocation';
import { OAuthClients, clientAuthenticationState } from '../../shared/oauth/clients';
import { storedVerifiersOf } from '../../shared/oauth/stored-verifiers';
import { LambdaTokenIssuer, type TokenIssuer } from '../../shared/one-time-tokens/issuer';
import { OneTimeTokenRepository } from '../../shared/one-time-tokens/repository';
import { pairingOf } from '../../shared/pairing';
import { EXTERNAL_ADAPTERS_VARIABLE, parseExternalAdapters } from '../../shared/pairing/external-config';
import { crlTriggerOf } from '../../shared/crl/trigger';
import { CertificateRepository } from '../../shared/system-auths/certificate-records';
import { SystemAuthRepository } from '../../shared/system-auths/repository';
import { CertificateSystemAuths } from '../../shared/system-auths/certificate-auths';
import { OAuthClientRecords } from '../../shared/system-auths/oauth-client-records';
import { PublicKeyClientRepository } from '../../shared/system-auths/private-key-jwt-clients';
import { config } from '../../shared/config';
import { AuditRepository } from '../../shared/audit/repository';
import { kmsAdapterSigner } from '../../shared/pairing/external-client';
import { aws, caRegistry, kms, readTogether, secrets, signingKeys } from '../container';
import { verifyAccessToken } from '../../shared/oauth/access-tokens';

/**
 * The composition of this function: its stores and services, built once per container. One-time tokens come
 * from the `tokens` function (Lambda Invoke); tests may hand in another TokenIssuer.
 */
export function directorServices(tokenIssuer: TokenIssuer = new LambdaTokenIssuer(aws.lambda, config().tokensFunctionName)): DirectorServices {
  const systemAuths = new SystemAuthRepository(aws.dynamo, config().systemAuthsTable);
  // Revocations start their CA's CRL rebuild (shared/crl).
  const certificates = new CertificateRepository(aws.dynamo, config().systemAuthsTable, config, crlTriggerOf(() => aws.eventLambda));
  const applicationStore = new ApplicationRepository(aws.dynamo, config().applicationsTable, config);
  const audit = new AuditRecorder(new AuditRepository(aws.dynamo, config().auditTable), () => new Date(), config().auditRetentionDays);
  // One authenticator for mTLS calls and for the certificate a bound access token names (RFC 8705).
  const certificateAuthentication = new ClientCertificateAuthenticator(systemAuths, certificates, applicationStore, () => caRegistry.trustedCas(), readTogether);
  const { pairing, clientCertificates, oauthClientCredentials } = pairingOf({
    systemAuths,
    certificateAuths: new CertificateSystemAuths(aws.dynamo, config().systemAuthsTable),
    certificates,
    oneTimeTokens: new OneTimeTokenRepository(aws.dynamo, config().tokensTable),
    oauthClients: new OAuthClients(systemAuths, new OAuthClientRecords(aws.dynamo, config().systemAuthsTable, config), secrets, clientAuthenticationState(), storedVerifiersOf(kms, config())),
    tokenIssuer,
    publicKeyClients: new PublicKeyClientRepository(aws.dynamo, config().systemAuthsTable, config),
    // Checked here, at load: a wrong list stops the Director from starting, with a message naming the field.
    external: { adapters: parseExternalAdapters(process.env[EXTERNAL_ADAPTERS_VARIABLE], config().stage), stage: config().stage, sign: kmsAdapterSigner(kms, signingKeys) },
  });
  return {
    // Unpairing and unregistering first revoke every credential through the pairing service.
    applications: new ApplicationService(applicationStore, [pairing]),
    pairing,
    clientCertificates,
    oauthClientCredentials,
    systemAuthsOf: (tenant, appId) => systemAuths.listOfApplication(tenant, appId),
    certificatesOf: (systemAuthId) => certificates.listOf(systemAuthId),
    bearerAuthentication: new BearerAuthenticator(systemAuths, applicationStore, (token, issuer) => verifyAccessToken(signingKeys, token, issuer, config()), certificateAuthentication),
    certificateAuthentication,
    audit,
    auditReader: new AuditReader(new AuditRepository(aws.dynamo, config().auditTable)),
    certificateRefusals: new CertificateRefusals(certificates, audit),
    baseUrlSettings: config,
  };
}

const endpoint = directorEndpoint(directorServices());

// Traced and measured (shared/observability): its metrics are written to the log when the invocation ends.
export const handler = observedHandler('director', (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  // Every log line of this invocation carries the Lambda request id.
  if (context) logger.addContext(context);
  // The only GET route of this function (serverless.yml) is the schema.
  if (event.httpMethod === 'GET') return Promise.resolve(schemaResponse(directorSdl));
  // The audit trail takes the request id, source IP and user agent from the event.
  return withAuditRequest(event, () => handleGraphQLRequest(event, endpoint));
});
