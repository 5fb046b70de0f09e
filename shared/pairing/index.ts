// The configured pairing adapters and the pairing service the Director uses: adding a pairing type is one line here
// (and `npm run generate:validators` for the JSON Schema of its inputParams).
import type { OAuthClients } from '../oauth/clients';
import type { TokenIssuer } from '../one-time-tokens/issuer';
import type { OneTimeTokenRepository } from '../one-time-tokens/repository';
import type { CertificateSystemAuths } from '../system-auths/certificate-auths';
import type { CertificateRepository } from '../system-auths/certificate-records';
import type { PublicKeyClientRepository } from '../system-auths/private-key-jwt-clients';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { PairingAdapter } from './adapter';
import { ClientCertificateAdapter } from './client-certificate';
import { externalPairingAdapters, type ExternalAdapterDeps } from './external-adapter';
import type { ExternalAdapterConfig } from './external-config';
import { OAuthClientCredentialsAdapter } from './oauth-client-credentials';
import { PrivateKeyJwtAdapter } from './private-key-jwt';
import { PairingAdapterRegistry } from './registry';
import { PairingService } from './service';

/** What the pairing adapters are built from. */
export interface PairingStores {
  systemAuths: SystemAuthRepository;
  certificateAuths: CertificateSystemAuths;
  certificates: CertificateRepository;
  oneTimeTokens: OneTimeTokenRepository;
  oauthClients: OAuthClients;
  tokenIssuer: TokenIssuer;
  publicKeyClients: PublicKeyClientRepository;
  /** The operator's pairing adapters outside the service (EXTERNAL_PAIRING_ADAPTERS); none when absent. */
  external?: { adapters: readonly ExternalAdapterConfig[] } & Omit<ExternalAdapterDeps, 'systemAuths'>;
}

export interface Pairing {
  pairing: PairingService;
  /** Every adapter, by auth type and by SystemAuth type. */
  registry: PairingAdapterRegistry;
  /** The certificate adapter itself, for Compass's requestOneTimeTokenForApplication. */
  clientCertificates: ClientCertificateAdapter;
  /** The OAuth adapter itself, for Compass's requestClientCredentialsForApplication. */
  oauthClientCredentials: OAuthClientCredentialsAdapter;
}

/** Every configured adapter, in registration order (also what local/json-schema-validators.ts precompiles the schemas of). */
export function pairingAdaptersOf(stores: PairingStores) {
  const oauthClientCredentials = new OAuthClientCredentialsAdapter(stores.oauthClients);
  const clientCertificates = new ClientCertificateAdapter(stores.tokenIssuer, stores.systemAuths, stores.certificateAuths, stores.certificates, stores.oneTimeTokens);
  const privateKeyJwt = new PrivateKeyJwtAdapter(stores.publicKeyClients);
  const all: PairingAdapter[] = [
    oauthClientCredentials,
    clientCertificates,
    privateKeyJwt,
    ...externalPairingAdapters(stores.external?.adapters ?? [], { ...stores.external!, systemAuths: stores.systemAuths }),
  ];
  return { oauthClientCredentials, clientCertificates, privateKeyJwt, all };
}

export function pairingOf(stores: PairingStores): Pairing {
  const { oauthClientCredentials, clientCertificates, all } = pairingAdaptersOf(stores);
  const registry = new PairingAdapterRegistry(all);
  return { pairing: new PairingService(registry, stores.systemAuths), registry, clientCertificates, oauthClientCredentials };
}
