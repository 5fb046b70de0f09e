// The service's stores and services on the test stage's tables, composed once per test file as the handlers compose theirs.
import { ApplicationRepository } from '../../shared/applications/repository';
import { BearerAuthenticator } from '../../shared/auth/bearer';
import { ClientCertificateAuthenticator } from '../../shared/auth/client-certificate';
import { OAuthClients } from '../../shared/oauth/clients';
import { issueTokenFor } from '../../shared/one-time-tokens/issuance';
import type { TokenIssuer } from '../../shared/one-time-tokens/issuer';
import { OneTimeTokenRepository } from '../../shared/one-time-tokens/repository';
import { OneTimeTokenService } from '../../shared/one-time-tokens/service';
import { pairingOf } from '../../shared/pairing';
import { CertificateRepository } from '../../shared/system-auths/certificate-records';
import { SystemAuthRepository } from '../../shared/system-auths/repository';

export const systemAuths = new SystemAuthRepository();
export const certificates = new CertificateRepository();
export const oneTimeTokens = new OneTimeTokenRepository();
export const applicationStore = new ApplicationRepository();
export const oauthClients = new OAuthClients(systemAuths);
export const oneTimeTokenService = new OneTimeTokenService(oneTimeTokens, systemAuths);
export const bearerAuthentication = new BearerAuthenticator(systemAuths, applicationStore);
export const certificateAuthentication = new ClientCertificateAuthenticator(systemAuths, certificates, applicationStore);

/** The tokens function's own code, called in-process instead of through the Lambda API. */
export const inProcessTokenIssuer: TokenIssuer = { issue: (request) => issueTokenFor(oneTimeTokenService, request) };

/** Pairing as the Director composes it, with tokens issued in-process. */
export const { pairing, registry: pairingAdapters, clientCertificates } = pairingOf({
  systemAuths,
  certificates,
  oneTimeTokens,
  oauthClients,
  tokenIssuer: inProcessTokenIssuer,
});
