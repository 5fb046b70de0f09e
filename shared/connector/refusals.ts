// How the Connector refuses beyond a CSR's own rules: credentials found spent while the request ran (HTTP 401), and the
// audit reason of a certificate beyond its SystemAuth's limits.
import { UnauthenticatedError } from '../errors';

/**
 * The presented credentials turned out spent, expired or revoked while the request ran (e.g. a
 * concurrent request won the token): the Connector refuses the whole request with HTTP 401, as it
 * would have before GraphQL ran.
 */
export class CredentialsSpentError extends UnauthenticatedError {
  override readonly name: string = 'CredentialsSpentError';

  constructor() {
    super('The one-time token is unknown, expired or already used');
  }
}

/** The audit trail's reason of a CSR refused because its SystemAuth is at MAX_LIVE_CERTIFICATES or MAX_UNEXPIRED_CERTIFICATES (details say which). */
export const CERTIFICATE_LIMIT_REASON = 'certificate limit reached';
