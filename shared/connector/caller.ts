// Who is calling the Connector: the holder of a one-time token (pairing), or - with the mTLS endpoint - of a client certificate.
import type { OneTimeToken } from '../one-time-tokens/token';

/** Token-secured: the stored token as authentication found it (unspent, or spent for an idempotent CSR retry). */
export interface OneTimeTokenCaller {
  kind: 'ONE_TIME_TOKEN';
  token: OneTimeToken;
}

/**
 * Every kind of Connector caller; resolvers switch on `kind`. Certificate-secured callers (the mTLS
 * endpoint) join this union as a second member with their own branch in the Connector service.
 */
export type ConnectorCaller = OneTimeTokenCaller;
