// Every client-visible error names itself (logs say NotFoundError, not Error) and maps to one code and status.
import { CredentialsSpentError } from '../../shared/connector/refusals';
import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  QuotaExceededError,
  ServiceError,
  toClientError,
  UnauthenticatedError,
} from '../../shared/errors';
import { RevocationIncompleteError } from '../../shared/pairing/service';

describe('service errors', () => {
  it.each([
    [new UnauthenticatedError(), 'UnauthenticatedError', 'UNAUTHENTICATED', 401],
    [new ForbiddenError(), 'ForbiddenError', 'FORBIDDEN', 403],
    [new NotFoundError('x'), 'NotFoundError', 'NOT_FOUND', 404],
    [new BadUserInputError('x'), 'BadUserInputError', 'BAD_USER_INPUT', 400],
    [new ConflictError('x'), 'ConflictError', 'CONFLICT', 409],
    [new QuotaExceededError('x'), 'QuotaExceededError', 'CONFLICT', 409],
    [new InternalError(), 'InternalError', 'INTERNAL', 500],
    [new CredentialsSpentError(), 'CredentialsSpentError', 'UNAUTHENTICATED', 401],
    [new RevocationIncompleteError(['a'], []), 'RevocationIncompleteError', 'INTERNAL', 500],
  ] as Array<[ServiceError, string, string, number]>)('%s is named %s, %s, HTTP %d', (error, name, code, status) => {
    expect(error.name).toBe(name);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(status);
  });

  it('shows clients the message of a service error and nothing of any other error', () => {
    expect(toClientError(new NotFoundError('application "x" not found'))).toEqual({ code: 'NOT_FOUND', message: 'application "x" not found' });
    expect(toClientError(new Error('ResourceNotFoundException: arn:aws:...'))).toEqual({ code: 'INTERNAL', message: 'Internal error' });
  });

  it('shows a reached quota as CONFLICT with its message and no field violations (no input field is at fault)', () => {
    const message = 'tenant acme has reached its limit of 1000 applications (MAX_APPLICATIONS_PER_TENANT); unregister one first';
    expect(toClientError(new QuotaExceededError(message))).toEqual({ code: 'CONFLICT', message });
  });
});
