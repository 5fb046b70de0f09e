// The configured pairing adapter registry the Director uses: adding a pairing type is one line here.
import { OAuthClientCredentialsAdapter } from './oauth-client-credentials';
import { PairingAdapterRegistry } from './registry';

export const pairingAdapters = new PairingAdapterRegistry([
  new OAuthClientCredentialsAdapter(),
]);
