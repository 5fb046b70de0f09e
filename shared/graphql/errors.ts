// The error entries GraphQL responses carry: request errors and execution errors, mapped through toClientError.
import type { GraphQLError, SourceLocation } from 'graphql';
import { toClientError, type ErrorCode, type FieldViolation } from '../errors';
import { logger } from '../logger';

/** One entry of a response's `errors`: no stack, no source path, no cause, only what the client may see. */
export interface GraphQLErrorEntry {
  message: string;
  locations?: readonly SourceLocation[];
  path?: readonly (string | number)[];
  /** `violations` names the input fields at fault, when the failure is theirs (e.g. a register form's name). */
  extensions: { code: ErrorCode; violations?: readonly FieldViolation[] };
}

export interface GraphQLErrorBody {
  errors: GraphQLErrorEntry[];
}

function entry(code: ErrorCode, message: string, locations?: readonly SourceLocation[]): GraphQLErrorEntry {
  return { message, ...(locations?.length ? { locations } : {}), extensions: { code } };
}

/** A body `{"errors":[...]}` for a request refused before execution. */
export function errorBody(code: ErrorCode, message: string, locations?: readonly SourceLocation[]): GraphQLErrorBody {
  return { errors: [entry(code, message, locations)] };
}

/**
 * The body for a query graphql-js refused before execution (validation, variable coercion): its
 * messages describe the client's own query and are safe to return.
 */
export function requestErrorsBody(errors: readonly GraphQLError[]): GraphQLErrorBody {
  return { errors: errors.map((error) => entry('BAD_USER_INPUT', error.message, error.locations)) };
}

/**
 * The client's view of an error a resolver (or graphql-js while completing a value) raised: service
 * errors keep their message and code, anything else becomes INTERNAL "Internal error" and is logged
 * with the request id so it can be found.
 */
export function executionErrorEntry(error: GraphQLError, requestId: string | undefined): GraphQLErrorEntry {
  const cause = error.originalError ?? error;
  const client = toClientError(cause);
  if (client.code === 'INTERNAL') {
    logger.error('GraphQL execution failed', { requestId, path: error.path?.join('.'), error: cause });
  }
  return {
    message: client.message,
    ...(error.locations?.length ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: { code: client.code, ...(client.violations ? { violations: client.violations } : {}) },
  };
}
