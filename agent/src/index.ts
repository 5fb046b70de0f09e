// pairing-agent as a library: pair, renew, status and run from code, and an HTTPS agent that follows renewals.
export { EXIT_CODES, AgentError, BadInputError, CredentialRefusedError, CertificateExpiredError, ServiceUnavailableError } from './errors';
export { parsePairingData, pairingFromFlags, type Pairing } from './pairing-data';
export { pairWithOneTimeToken, renew, status, currentCaId, finishPendingRetirement } from './certificate-pairing';
export { runAgent, type RunOptions } from './run';
export { accessToken, storeClientCredentials } from './client-credentials';
export { PairedHttpsAgent, graphqlOverMtls, directorUrl } from './https-agent';
export { readLive, readState } from './store';
