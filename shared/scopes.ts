// The OAuth scopes of the service: what administrators and applications may hold, and what a scope token may look like.

export type Scope = string;

/** Every administrator holds these. */
export const ADMIN_SCOPES = ['application:read', 'application:write', 'application.auths:read'] as const;

/** Every application client has it: read the application itself (viewer, application, applications). */
export const APPLICATION_BASE_SCOPE = 'application:read';

/**
 * Everything pairing may grant an application. `application.auths:read` lets it read its own
 * `Application.auths` (ids, status, lastUsedAt; never secrets), e.g. to see when a credential was last used.
 * `application:write` is deliberately absent: an application never administers, not even itself.
 */
export const APPLICATION_SCOPES = [APPLICATION_BASE_SCOPE, 'application.auths:read'] as const;

export type ApplicationScope = (typeof APPLICATION_SCOPES)[number];

/** The JSON Schema of a pairing's `scopes` input (the OAuth pairing types): what to grant besides the base scope. */
export const APPLICATION_SCOPES_INPUT: Record<string, unknown> = {
  type: 'array',
  items: { type: 'string', enum: [...APPLICATION_SCOPES] },
  uniqueItems: true,
  description: `Scopes to grant besides ${APPLICATION_BASE_SCOPE}, which is always granted.`,
};

/** The scopes to grant for the requested ones: always the base scope, no duplicates, in APPLICATION_SCOPES order. */
export function applicationScopesFor(requested: readonly string[] = []): ApplicationScope[] {
  const wanted = new Set<string>([APPLICATION_BASE_SCOPE, ...requested]);
  return APPLICATION_SCOPES.filter((scope) => wanted.has(scope));
}

/** RFC 6749 3.3 scope-token: printable ASCII except space, `"` and `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
