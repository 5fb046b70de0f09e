// The Director's per-request context: who is calling, the services resolvers use, and request facts.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApplicationService } from '../applications/service';
import type { AuditReader } from '../audit/reading';
import type { AuditRecorder } from '../audit/recorder';
import { AccessTokenRefusedError, type BearerAuthenticator } from '../auth/bearer';
import type { AuditEventInput } from '../audit/types';
import type { Caller } from '../auth/caller';
import { clientCertificateOf, type ClientCertificateAuthenticator } from '../auth/client-certificate';
import type { CertificateRefusals } from '../certificate-refusals';
import { header, publicBaseUrl , type BaseUrlSettings } from '../http';
import type { ClientCertificateAdapter } from '../pairing/client-certificate';
import type { OAuthClientCredentialsAdapter } from '../pairing/oauth-client-credentials';
import type { PairingService } from '../pairing/service';
import type { CertificateRecord } from '../system-auths/certificate-items';
import type { SystemAuth } from '../system-auths/types';

/** What a Director process is built from (functions/director/handler.ts composes it). */
export interface DirectorServices {
  applications: ApplicationService;
  pairing: PairingService;
  /** The certificate pairing adapter, for Compass's requestOneTimeTokenForApplication. */
  clientCertificates: ClientCertificateAdapter;
  /** The OAuth adapter, for Compass's requestClientCredentialsForApplication. */
  oauthClientCredentials: OAuthClientCredentialsAdapter;
  /** Every SystemAuth of one application of the tenant. */
  systemAuthsOf(tenant: string, appId: string): Promise<SystemAuth[]>;
  /** Every certificate issued under one SystemAuth (the caller has checked the SystemAuth is its tenant's). */
  certificatesOf(systemAuthId: string): Promise<CertificateRecord[]>;
  bearerAuthentication: BearerAuthenticator;
  certificateAuthentication: ClientCertificateAuthenticator;
  /** Where the Director's changes are recorded (shared/audit). */
  audit: AuditRecorder;
  /** The tenant's audit trail, for auditEvents. */
  auditReader: AuditReader;
  /** Records refused client certificates (optional: compositions without an audit trail leave it out). */
  certificateRefusals?: CertificateRefusals;
  /** Where the API's base URL comes from (publicBaseUrl), read at each request. */
  baseUrlSettings: () => BaseUrlSettings;
}

export interface DirectorContext extends DirectorServices {
  caller: Caller;
  /** Base URL of the HTTPS API (shared/http.ts publicBaseUrl): for token and connector URLs. */
  publicBaseUrl: string;
  requestId: string | undefined;
}

/**
 * Authenticates the request (UnauthenticatedError refuses it with 401) and builds its context: by the client
 * certificate when it came through the mTLS endpoint, by bearer token otherwise.
 */
export async function directorContext(event: APIGatewayProxyEvent, services: DirectorServices): Promise<DirectorContext> {
  // First: a deployment without its base URL fails every request here (ConfigurationError), before anyone is authenticated.
  const baseUrl = publicBaseUrl(event, services.baseUrlSettings());
  // Access tokens are this API's own: their issuer is its base URL.
  const authorization = header(event, 'authorization');
  const presented = () =>
    Promise.resolve()
      .then(() => clientCertificateOf(event))
      .catch(async (error: unknown) => {
        await services.certificateRefusals?.record(event, error);
        throw error;
      });
  const byToken = async () =>
    services.bearerAuthentication.authenticate(authorization, baseUrl, await presented()).catch(async (error: unknown) => {
      if (error instanceof AccessTokenRefusedError) await services.audit.refused(accessTokenRefusal(error));
      throw error;
    });
  // A request with a bearer token is the token's, over either endpoint: on the mTLS endpoint that is how a
  // certificate-bound token (RFC 8705) is used, and the token then names the certificate it needs. Without one,
  // an mTLS request is its certificate's.
  const caller: Caller =
    (isBearer(authorization) ? await byToken() : undefined) ??
    (await services.certificateAuthentication.authenticateRequest(event).catch(async (error: unknown) => {
      await services.certificateRefusals?.record(event, error);
      throw error;
    })) ??
    (await byToken());
  return { ...services, caller, publicBaseUrl: baseUrl, requestId: event.requestContext?.requestId };
}

/** Whether an Authorization header offers a bearer token (whatever its validity: authentication judges that). */
const isBearer = (authorization: string | undefined): boolean => authorization !== undefined && /^bearer\s/i.test(authorization.trim());

/**
 * A verified access token of a client that is gone or changed (a token outliving its revocation): in the client's
 * tenant, with the claimed client as actor. Tokens that fail verification name no one trustworthy and are not recorded.
 */
function accessTokenRefusal({ message, refusal, claims }: AccessTokenRefusedError): AuditEventInput {
  return {
    tenant: claims.tenant, action: 'CLIENT_AUTHENTICATION_REFUSED', outcome: 'REFUSED', reason: message, reasonCode: refusal,
    actor: { kind: 'UNAUTHENTICATED', id: claims.sub },
    target: { applicationId: claims.appId, systemAuthId: claims.sub }, details: { via: 'ACCESS_TOKEN', clientKind: claims.clientKind },
  };
}
