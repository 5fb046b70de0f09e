// Who is calling the Connector: the holder of a one-time token (pairing), or - with the mTLS endpoint - of a client certificate.
import type { CertificateCaller } from '../auth/client-certificate';
import type { OneTimeToken } from '../one-time-tokens/token';

/** Token-secured: the stored token as authentication found it (unspent, or spent for an idempotent CSR retry). */
export interface OneTimeTokenCaller {
  kind: 'ONE_TIME_TOKEN';
  token: OneTimeToken;
}

/** Certificate-secured (the mTLS endpoint): the application behind a valid, unrevoked client certificate. */
export interface ClientCertificateCaller {
  kind: 'CERTIFICATE';
  application: CertificateCaller;
}

/** Every kind of Connector caller; the Connector service switches on `kind`. */
export type ConnectorCaller = OneTimeTokenCaller | ClientCertificateCaller;
