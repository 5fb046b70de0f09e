// The Director's per-request context: who is calling, the services resolvers use, and request facts.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApplicationRepository } from '../applications/repository';
import { ApplicationService, type CredentialRevoker } from '../applications/service';
import { authenticateBearer } from '../auth/bearer';
import type { Caller } from '../auth/caller';
import { authenticateMtlsRequest } from '../auth/client-certificate';
import { header, publicBaseUrl } from '../http';
import { listSystemAuthsOfApplication } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';

export interface DirectorServices {
  applications: ApplicationService;
  /** Every SystemAuth of one application of the tenant. */
  systemAuthsOf(tenant: string, appId: string): Promise<SystemAuth[]>;
}

export interface DirectorContext extends DirectorServices {
  caller: Caller;
  /** Base URL of the HTTPS API (shared/http.ts publicBaseUrl): for token and connector URLs. */
  publicBaseUrl: string;
  requestId: string | undefined;
}

/** The services of a Director process; `credentialRevokers` are what unregistering an application runs first. */
export function directorServices(credentialRevokers: readonly CredentialRevoker[]): DirectorServices {
  return {
    applications: new ApplicationService(new ApplicationRepository(), credentialRevokers),
    systemAuthsOf: listSystemAuthsOfApplication,
  };
}

/**
 * Authenticates the request (UnauthenticatedError refuses it with 401) and builds its context: by the client
 * certificate when it came through the mTLS endpoint, by bearer token otherwise.
 */
export async function directorContext(event: APIGatewayProxyEvent, services: DirectorServices): Promise<DirectorContext> {
  // First: a deployment without its base URL fails every request here (ConfigurationError), before anyone is authenticated.
  const baseUrl = publicBaseUrl(event);
  // Access tokens are this API's own: their issuer is its base URL.
  const caller: Caller = (await authenticateMtlsRequest(event)) ?? (await authenticateBearer(header(event, 'authorization'), baseUrl));
  return { ...services, caller, publicBaseUrl: baseUrl, requestId: event.requestContext?.requestId };
}
