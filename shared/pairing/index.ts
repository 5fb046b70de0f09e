// The configured pairing adapters and the pairing service the Director uses: adding a pairing type is one line here.
import { ClientCertificateAdapter } from './client-certificate';
import { OAuthClientCredentialsAdapter } from './oauth-client-credentials';
import { PairingAdapterRegistry } from './registry';
import { PairingService } from './service';

const oauthClientCredentials = new OAuthClientCredentialsAdapter();
export const clientCertificates = new ClientCertificateAdapter();

export const pairingAdapters = new PairingAdapterRegistry([
  oauthClientCredentials,
  clientCertificates,
]);

export const pairing = new PairingService(pairingAdapters, oauthClientCredentials);
