// The Connector's per-request context: the authenticated caller, the service, and the note that the credentials were found spent while running.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AuditRecorder } from '../audit/recorder';
import type { ClientCertificateAuthenticator } from '../auth/client-certificate';
import type { CertificateRefusals } from '../certificate-refusals';
import type { OneTimeTokenRepository } from '../one-time-tokens/repository';
import { authenticateOneTimeToken } from './authentication';
import type { ConnectorCaller } from './caller';
import type { Configuration } from './answers';
import { CredentialsSpentError } from './refusals';
import type { ConnectorService } from './service';

/** What a Connector process is built from (functions/connector/handler.ts composes it). */
export interface ConnectorServices {
  connector: ConnectorService;
  certificateAuthentication: ClientCertificateAuthenticator;
  oneTimeTokens: OneTimeTokenRepository;
  /** Records refused one-time tokens (the same trail the ConnectorService writes to). */
  audit?: AuditRecorder;
  /** Records refused client certificates. */
  certificateRefusals?: CertificateRefusals;
}

export interface ConnectorContext {
  caller: ConnectorCaller;
  connector: ConnectorService;
  /** The request's one `configuration` result. */
  configuration?: Promise<Configuration>;
  /** Set when a resolver found the credentials spent: the endpoint then answers HTTP 401 for the whole request. */
  refusal?: CredentialsSpentError;
  /** Passes the work's result through, noting a CredentialsSpentError on the way. */
  refuseWhenSpent<T>(work: Promise<T>): Promise<T>;
}

export async function connectorContext(event: APIGatewayProxyEvent, services: ConnectorServices, now: Date = new Date()): Promise<ConnectorContext> {
  // Through the mTLS endpoint the client certificate is the credential; anywhere else the one-time token.
  const application = await services.certificateAuthentication.authenticateRequest(event, { now }).catch(async (error: unknown) => {
    await services.certificateRefusals?.record(event, error);
    throw error;
  });
  const caller: ConnectorCaller = application
    ? { kind: 'CERTIFICATE', application }
    : await authenticateOneTimeToken(event, services.oneTimeTokens, now, services.audit);
  const context: ConnectorContext = {
    caller,
    connector: services.connector,
    refuseWhenSpent: (work) =>
      work.catch((error: unknown) => {
        if (error instanceof CredentialsSpentError) context.refusal ??= error;
        throw error;
      }),
  };
  return context;
}
