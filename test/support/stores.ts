// The service's stores and services on the test stage's tables, composed once per test file as the handlers compose theirs.
import { ApplicationRepository } from '../../shared/applications/repository';
import { BearerAuthenticator } from '../../shared/auth/bearer';
import { ClientCertificateAuthenticator } from '../../shared/auth/client-certificate';
import { OAuthClients, clientAuthenticationState } from '../../shared/oauth/clients';
import { storedVerifiersOf } from '../../shared/oauth/stored-verifiers';
import { issueTokenFor } from '../../shared/one-time-tokens/issuance';
import type { TokenIssuer } from '../../shared/one-time-tokens/issuer';
import { OneTimeTokenRepository } from '../../shared/one-time-tokens/repository';
import { OneTimeTokenService } from '../../shared/one-time-tokens/service';
import { pairingOf } from '../../shared/pairing';
import { CertificateRepository } from '../../shared/system-auths/certificate-records';
import { SystemAuthRepository } from '../../shared/system-auths/repository';
import { OAuthClientRecords } from '../../shared/system-auths/oauth-client-records';
import { CertificateSystemAuths } from '../../shared/system-auths/certificate-auths';
import { PublicKeyClientGrants } from '../../shared/system-auths/private-key-jwt-grants';
import { config } from '../../shared/config';
import { AuditRepository } from '../../shared/audit/repository';
import { AuditRecorder } from '../../shared/audit/recorder';
import { CurrentCertificateAuthority } from '../../shared/certificates/ca';
import { CaLifecycle } from '../../shared/certificates/ca-lifecycle';
import type { ConnectorCa } from '../../shared/connector/service';
import { accessTokenSigner, aws, caRegistry, kms, readTogether, secrets, signingKeys, kmsAdmin } from '../../functions/container';
import { issueAccessToken, verifyAccessToken } from '../../shared/oauth/access-tokens';
import { ApplicationService } from '../../shared/applications/service';
import { CertificateRefusals } from '../../shared/certificate-refusals';
import { ClientAssertionAuthenticator } from '../../shared/oauth/client-assertion';
import { FailedAuthentications } from '../../shared/oauth/failed-authentications';
import { TokenEndpoint } from '../../shared/oauth/token-endpoint';

/** An audit trail on the test stage's audit table, as the handlers build theirs. */
export const newAuditRecorder = (): AuditRecorder => new AuditRecorder(new AuditRepository(aws.dynamo, config().auditTable), () => new Date(), config().auditRetentionDays);

export const systemAuths = new SystemAuthRepository(aws.dynamo, config().systemAuthsTable);
export const oauthClientRecords = new OAuthClientRecords(aws.dynamo, config().systemAuthsTable, config);
export const certificateAuths = new CertificateSystemAuths(aws.dynamo, config().systemAuthsTable);
export const certificates = new CertificateRepository(aws.dynamo, config().systemAuthsTable, config);
export const oneTimeTokens = new OneTimeTokenRepository(aws.dynamo, config().tokensTable);
export const applicationStore = new ApplicationRepository(aws.dynamo, config().applicationsTable, config);
export const publicKeyClients = new PublicKeyClientGrants(aws.dynamo, config().systemAuthsTable, config);
export const oauthClients = new OAuthClients(systemAuths, oauthClientRecords, secrets, clientAuthenticationState(), storedVerifiersOf(kms, config()));
export const oneTimeTokenService = new OneTimeTokenService(oneTimeTokens, systemAuths, certificateAuths, config, aws.dynamo);
export const certificateAuthentication = new ClientCertificateAuthenticator(systemAuths, certificates, applicationStore, () => caRegistry.trustedCas(), readTogether);
export const bearerAuthentication = new BearerAuthenticator(systemAuths, applicationStore, (token, issuer) => verifyAccessToken(signingKeys, token, issuer, config()), certificateAuthentication);

/** The pairing CA's lifecycle (bootstrap, admin CLI) over the container's secrets, registry and KMS. */
export const caLifecycle = new CaLifecycle(secrets, caRegistry, kms, kmsAdmin, config);
/** The CA that issues, as the connector function composes it. */
export const certificateAuthority = new CurrentCertificateAuthority(caRegistry, kms, config);
/** What a ConnectorService is handed to find its CA. */
export const connectorCa: ConnectorCa = { registry: caRegistry, authority: certificateAuthority };

/** The tokens function's own code, called in-process instead of through the Lambda API. */
export const inProcessTokenIssuer: TokenIssuer = { issue: (request) => issueTokenFor(oneTimeTokenService, request) };

/** Pairing as the Director composes it, with tokens issued in-process. */
export const { pairing, registry: pairingAdapters, clientCertificates, oauthClientCredentials } = pairingOf({
  systemAuths,
  certificateAuths,
  certificates,
  oneTimeTokens,
  oauthClients,
  tokenIssuer: inProcessTokenIssuer,
  publicKeyClients,
});

/** Failed client authentications answered at once: the slow-down of repeated failures has its own tests. */
export const answeredAtOnce = new FailedAuthentications({ now: Date.now, sleep: async () => undefined });

/** The token endpoint as the oauth function composes it, recording into `audit`, with failed authentications answered at once. */
export function tokenEndpointAnsweringAtOnce(audit: AuditRecorder): TokenEndpoint {
  return new TokenEndpoint(
    new OAuthClients(systemAuths, oauthClientRecords, secrets, { ...clientAuthenticationState(), failures: answeredAtOnce }, storedVerifiersOf(kms, config())),
    systemAuths,
    new ApplicationService(applicationStore),
    (client, scopes, issuer, confirmation) => issueAccessToken(accessTokenSigner, client, scopes, issuer, config(), undefined, confirmation),
    audit,
    config,
    certificateAuthentication,
    new CertificateRefusals(certificates, audit),
    new ClientAssertionAuthenticator(publicKeyClients, answeredAtOnce),
  );
}
