// What a new OAuth client is made of, and the checks it passes before anything is written.
import { BadUserInputError } from '../errors';
import { SCOPE_TOKEN } from '../scopes';
import type { SystemAuthKind } from '../system-auths/types';

/** Tenant names: short, and free of the separators used in keys (`#`) and secret names (`/`). */
const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface NewOAuthClient {
  tenant: string;
  kind: SystemAuthKind;
  /** Required for APPLICATION clients, not allowed for ADMIN ones. */
  appId?: string;
  scopes: readonly string[];
}

export function validateNewClient(input: NewOAuthClient): void {
  if (!TENANT.test(input.tenant)) {
    throw new BadUserInputError('tenant must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  if (input.kind === 'APPLICATION' && !input.appId) throw new BadUserInputError('an APPLICATION client needs an appId');
  if (input.kind === 'ADMIN' && input.appId !== undefined) throw new BadUserInputError('an ADMIN client has no appId');
  if (input.scopes.length === 0) throw new BadUserInputError('an OAuth client needs at least one scope');
  const bad = input.scopes.find((scope) => !SCOPE_TOKEN.test(scope));
  if (bad !== undefined) throw new BadUserInputError(`scope "${bad}" is not a valid OAuth scope token`);
}
