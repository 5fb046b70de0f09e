// Who may do what in the Director: scopes per operation kind, and what an Application caller may see of its tenant.
import type { Caller } from '../auth/caller';
import { ForbiddenError } from '../errors';

export const SCOPE_READ = 'application:read';
const SCOPE_WRITE = 'application:write';
export const SCOPE_AUTHS_READ = 'application.auths:read';

/** FORBIDDEN unless the caller's credentials carry the scope. */
export function requireScope(caller: Caller, scope: string): void {
  if (!caller.scopes.includes(scope)) throw new ForbiddenError(`This needs the scope ${scope}, which the caller's credentials do not carry`);
}

/**
 * For every mutation that administers applications: only administrators, and only with
 * application:write. An Application never administers, whatever scopes it holds.
 */
export function requireAdministrator(caller: Caller): void {
  if (caller.kind !== 'ADMIN') throw new ForbiddenError('Only administrators may do this; an application cannot administer applications');
  requireScope(caller, SCOPE_WRITE);
}

/** Whether the caller may see the application with this id at all (an Application sees only itself). */
export function canSeeApplication(caller: Caller, appId: string): boolean {
  return caller.kind === 'ADMIN' || caller.appId === appId;
}
