// The client-visible failures of the service, and their one mapping to GraphQL codes and HTTP statuses.

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'INTERNAL';

/** A failure whose message is written for the client. Anything else that escapes is reported as INTERNAL. */
export abstract class ServiceError extends Error {
  abstract readonly code: ErrorCode;
  /** Each subclass names itself, so a log says `NotFoundError`, not `Error` (bundling may rename classes). */
  abstract override readonly name: string;
  /** HTTP status when the failure ends the request before GraphQL runs; GraphQL errors are sent with 200. */
  readonly httpStatus: number = 200;
}

/** One rule an input field broke, so that a form can show the message next to the field. */
export interface FieldViolation {
  field: string;
  message: string;
}

/** A failure caused by the values of named input fields (sent as `extensions.violations`). */
abstract class InputError extends ServiceError {
  readonly violations: readonly FieldViolation[];
  constructor(message: string, options: { violations?: readonly FieldViolation[] } = {}) {
    super(message);
    this.violations = options.violations ?? [];
  }
}

export class UnauthenticatedError extends ServiceError {
  override readonly name: string = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
  override readonly httpStatus = 401;
  /** The `WWW-Authenticate` challenge of the 401, when the refusal has one (RFC 6750 3: a refused bearer token). */
  readonly challenge?: string;
  constructor(message = 'Missing, invalid or expired credentials') {
    super(message);
  }
}

export class ForbiddenError extends ServiceError {
  override readonly name: string = 'ForbiddenError';
  readonly code = 'FORBIDDEN';
  override readonly httpStatus = 403;
  constructor(message = 'The caller is not allowed to do this') {
    super(message);
  }
}

export class NotFoundError extends ServiceError {
  override readonly name: string = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  override readonly httpStatus = 404;
}

export class BadUserInputError extends InputError {
  override readonly name: string = 'BadUserInputError';
  readonly code = 'BAD_USER_INPUT';
  override readonly httpStatus = 400;
}

export class ConflictError extends InputError {
  override readonly name: string = 'ConflictError';
  readonly code = 'CONFLICT';
  override readonly httpStatus = 409;
}

/**
 * A per-tenant limit (shared/quotas.ts) refused a creation. CONFLICT, not FORBIDDEN: the caller may do
 * this, the tenant's current state refuses it, and the same request succeeds once the caller frees a slot
 * (HTTP 409, "conflicts with the current state of the resource"). FORBIDDEN answers missing scopes and
 * roles here, and a client must not read a full tenant as a permission problem. No input field is at
 * fault, so it carries no violations and is not a ConflictError (which names fields).
 */
export class QuotaExceededError extends ServiceError {
  override readonly name: string = 'QuotaExceededError';
  readonly code = 'CONFLICT';
  override readonly httpStatus = 409;
}

/**
 * A SystemAuth holds MAX_LIVE_CERTIFICATES live certificates and asked for one more (renewal or CSR token,
 * shared/quotas.ts LIVE_CERTIFICATES_QUOTA). FORBIDDEN, unlike a tenant quota's CONFLICT:
 * this caller is an application, not an administrator, and what it is refused is one more credential for
 * itself; a client in a renewal loop must stop, and only a revocation (which the message names) lets it go on.
 */
export class LiveCertificateLimitError extends ForbiddenError {
  override readonly name: string = 'LiveCertificateLimitError';
}

/** An internal failure with a message safe to show; the cause is only logged. */
export class InternalError extends ServiceError {
  override readonly name: string = 'InternalError';
  readonly code = 'INTERNAL';
  override readonly httpStatus = 500;
  constructor(message = 'Internal error', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The service runs without a setting it needs (a deployment error, not the caller's): the request fails
 * as INTERNAL, and the log line names the setting. Not a ServiceError, so its message never reaches a client.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export interface ClientError {
  code: ErrorCode;
  message: string;
  violations?: readonly FieldViolation[];
}

/** What a client may see of any thrown value: service errors as they are, everything else as INTERNAL. */
export function toClientError(error: unknown): ClientError {
  if (error instanceof InputError && error.violations.length > 0) {
    return { code: error.code, message: error.message, violations: error.violations };
  }
  if (error instanceof ServiceError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: 'Internal error' };
}
