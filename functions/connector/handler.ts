// The `connector` Lambda: POST /connector/graphql (token-secured pairing, and certificate-secured over mTLS), and GET /connector/schema.graphql: its SDL.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApplicationRepository } from '../../shared/applications/repository';
import { withAuditRequest } from '../../shared/audit/request';
import { AuditRecorder } from '../../shared/audit/recorder';
import { ClientCertificateAuthenticator } from '../../shared/auth/client-certificate';
import { CertificateRefusals } from '../../shared/certificate-refusals';
import type { ConnectorServices } from '../../shared/connector/context';
import { handleConnectorRequest } from '../../shared/connector/endpoint';
import { connectorSdl } from '../../shared/connector/schema';
import { ConnectorService } from '../../shared/connector/service';
import { schemaResponse } from '../../shared/graphql/endpoint';
import { logger } from '../../shared/logger';
import { observedHandler } from '../../shared/observability/invocation';
import { OneTimeTokenRepository } from '../../shared/one-time-tokens/repository';
import { crlTriggerOf } from '../../shared/crl/trigger';
import { CertificateRepository } from '../../shared/system-auths/certificate-records';
import { SystemAuthRepository } from '../../shared/system-auths/repository';
import { CertificateSystemAuths } from '../../shared/system-auths/certificate-auths';
import { config } from '../../shared/config';
import { AuditRepository } from '../../shared/audit/repository';
import { CurrentCertificateAuthority } from '../../shared/certificates/ca';
import { aws, caRegistry, kms, readTogether } from '../container';

/** The composition of this function: its stores and services, built once per container. */
export function connectorServices(): ConnectorServices {
  const systemAuths = new SystemAuthRepository(aws.dynamo, config().systemAuthsTable);
  // Revocations start their CA's CRL rebuild (shared/crl).
  const certificates = new CertificateRepository(aws.dynamo, config().systemAuthsTable, config, crlTriggerOf(() => aws.eventLambda));
  const oneTimeTokens = new OneTimeTokenRepository(aws.dynamo, config().tokensTable);
  const audit = new AuditRecorder(new AuditRepository(aws.dynamo, config().auditTable), () => new Date(), config().auditRetentionDays);
  return {
    connector: new ConnectorService(oneTimeTokens, new CertificateSystemAuths(aws.dynamo, config().systemAuthsTable), certificates, audit, config, aws.dynamo, {
      registry: caRegistry,
      authority: new CurrentCertificateAuthority(caRegistry, kms, config),
    }),
    certificateAuthentication: new ClientCertificateAuthenticator(systemAuths, certificates, new ApplicationRepository(aws.dynamo, config().applicationsTable, config), () => caRegistry.trustedCas(), readTogether),
    oneTimeTokens,
    audit,
    certificateRefusals: new CertificateRefusals(certificates, audit),
  };
}

const services = connectorServices();

// Traced and measured (shared/observability): its metrics are written to the log when the invocation ends.
export const handler = observedHandler('connector', (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  // Every log line of this invocation carries the Lambda request id.
  if (context) logger.addContext(context);
  // The only GET route of this function (serverless.yml) is the schema.
  if (event.httpMethod === 'GET') return Promise.resolve(schemaResponse(connectorSdl));
  return withAuditRequest(event, () => handleConnectorRequest(event, services));
});
