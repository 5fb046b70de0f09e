// The agent's named failures, each with the exit code the command line documents for it (see EXIT_CODES).

/** Exit codes of every `pairing-agent` command: a supervisor acts on them (README "The pairing agent"). */
export const EXIT_CODES = {
  /** Done; for `status`: the certificate is valid, accepted, and not yet due for renewal. */
  ok: 0,
  /** Anything unexpected (the message says what). */
  failure: 1,
  /** Bad input or usage: a spent or unknown token, pairing data of another kind, an unwritable or occupied --dir. Nothing was written. */
  badInput: 2,
  /** `status`: the certificate has passed its renewal point (run `renew`). */
  renewalDue: 3,
  /** The certificate has expired: only a new pairing helps. */
  expired: 4,
  /** The service refuses the credential (revoked certificate, deleted SystemAuth or OAuth client): only a new pairing helps. */
  revoked: 5,
  /** The service could not be reached or answered 5xx/429. */
  unreachable: 6,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export class AgentError extends Error {
  override name = 'AgentError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT_CODES.failure,
  ) {
    super(message);
  }
}

/** Input the agent cannot use; it has written nothing. */
export class BadInputError extends AgentError {
  override name = 'BadInputError';
  constructor(message: string) {
    super(message, EXIT_CODES.badInput);
  }
}

/** The service refused the credential for good (HTTP 401 over mTLS, invalid_client at the token endpoint). */
export class CredentialRefusedError extends AgentError {
  override name = 'CredentialRefusedError';
  constructor(message: string) {
    super(message, EXIT_CODES.revoked);
  }
}

export class CertificateExpiredError extends AgentError {
  override name = 'CertificateExpiredError';
  constructor(message: string) {
    super(message, EXIT_CODES.expired);
  }
}

/** Worth retrying: no answer, a 5xx or a 429. A retry with the same request is safe (the service answers it the same). */
export class ServiceUnavailableError extends AgentError {
  override name = 'ServiceUnavailableError';
  constructor(message: string) {
    super(message, EXIT_CODES.unreachable);
  }
}
