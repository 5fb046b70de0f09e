// Lambda handler of POST /director/graphql (HTTPS and mTLS): the Director GraphQL API, and GET /director/schema.graphql: its SDL.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApplicationRepository } from '../../shared/applications/repository';
import { ApplicationService } from '../../shared/applications/service';
import { withAuditRequest } from '../../shared/audit/request';
import { AuditLog } from '../../shared/audit/reading';
import { AuditTrail } from '../../shared/audit/trail';
import { BearerAuthenticator } from '../../shared/auth/bearer';
import { ClientCertificateAuthenticator } from '../../shared/auth/client-certificate';
import { CertificateRefusals } from '../../shared/certificate-refusals';
import type { DirectorServices } from '../../shared/director/context';
import { directorEndpoint } from '../../shared/director/endpoint';
import { directorSdl } from '../../shared/director/schema';
import { handleGraphQLRequest, schemaResponse } from '../../shared/graphql/endpoint';
import { logger } from '../../shared/logger';
import { observedHandler } from '../../shared/observability/invocation';
import { OAuthClients } from '../../shared/oauth/clients';
import { LambdaTokenIssuer, type TokenIssuer } from '../../shared/one-time-tokens/issuer';
import { OneTimeTokenRepository } from '../../shared/one-time-tokens/repository';
import { pairingOf } from '../../shared/pairing';
import { lambda } from '../../shared/aws/clients';
import { crlTriggerOf } from '../../shared/crl/trigger';
import { CertificateRepository } from '../../shared/system-auths/certificate-records';
import { SystemAuthRepository } from '../../shared/system-auths/repository';

/**
 * The composition of this function: its stores and services, built once per container. One-time tokens come
 * from the `tokens` function (Lambda Invoke); tests may hand in another TokenIssuer.
 */
export function directorServices(tokenIssuer: TokenIssuer = new LambdaTokenIssuer()): DirectorServices {
  const systemAuths = new SystemAuthRepository();
  // Revocations start their CA's CRL rebuild (shared/crl).
  const certificates = new CertificateRepository(undefined, crlTriggerOf(lambda));
  const applicationStore = new ApplicationRepository();
  const audit = new AuditTrail();
  const { pairing, clientCertificates } = pairingOf({
    systemAuths,
    certificates,
    oneTimeTokens: new OneTimeTokenRepository(),
    oauthClients: new OAuthClients(systemAuths),
    tokenIssuer,
  });
  return {
    // Unpairing and unregistering first revoke every credential through the pairing service.
    applications: new ApplicationService(applicationStore, [pairing]),
    pairing,
    clientCertificates,
    systemAuthsOf: (tenant, appId) => systemAuths.listOfApplication(tenant, appId),
    certificatesOf: (systemAuthId) => certificates.listOf(systemAuthId),
    bearerAuthentication: new BearerAuthenticator(systemAuths, applicationStore),
    certificateAuthentication: new ClientCertificateAuthenticator(systemAuths, certificates, applicationStore),
    audit,
    auditLog: new AuditLog(),
    certificateRefusals: new CertificateRefusals(certificates, audit),
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
