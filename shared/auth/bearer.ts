// Bearer-token authentication of Director calls: the access token must verify and its SystemAuth must still be ACTIVE.
import { UnauthenticatedError } from '../errors';
import { verifyAccessToken } from '../oauth/access-tokens';
import { getSystemAuth } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';
import type { Caller } from './caller';

/** How stale a SystemAuth looked up for a token may be: a revoked client is refused within this. */
const SYSTEM_AUTH_CACHE_MS = 1000;
const SYSTEM_AUTH_CACHE_ENTRIES = 1000;

const recent = new Map<string, { auth: SystemAuth | undefined; readAt: number }>();

async function currentSystemAuth(id: string): Promise<SystemAuth | undefined> {
  const hit = recent.get(id);
  if (hit && Date.now() - hit.readAt < SYSTEM_AUTH_CACHE_MS) return hit.auth;
  const auth = await getSystemAuth(id);
  if (recent.size >= SYSTEM_AUTH_CACHE_ENTRIES) recent.clear();
  recent.set(id, { auth, readAt: Date.now() });
  return auth;
}

/** RFC 6750 2.1: `Bearer <b64token>`, scheme case-insensitive. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The caller behind an `Authorization: Bearer <access token>` header; UnauthenticatedError naming what is wrong otherwise. */
export async function authenticateBearer(authorization: string | undefined): Promise<Caller> {
  if (authorization === undefined || authorization.trim() === '') {
    throw new UnauthenticatedError('Authorization header is missing: send "Authorization: Bearer <access token>"');
  }
  const match = BEARER.exec(authorization);
  if (!match) throw new UnauthenticatedError('Authorization header is not "Bearer <access token>"');
  const claims = await verifyAccessToken(match[1]);
  const auth = await currentSystemAuth(claims.sub);
  if (!auth || auth.type !== 'OAUTH2_CLIENT_CREDENTIALS') {
    throw new UnauthenticatedError('The OAuth client of this access token no longer exists');
  }
  if (auth.status !== 'ACTIVE') throw new UnauthenticatedError('The OAuth client of this access token is not active');
  if (auth.tenant !== claims.tenant || auth.kind !== claims.clientKind || auth.appId !== claims.appId) {
    throw new UnauthenticatedError('Access token does not match its OAuth client');
  }
  // Scopes taken away from the client since the token was issued are not honoured.
  const scopes = claims.scopes.filter((scope) => auth.scopes.includes(scope));
  if (auth.kind === 'ADMIN') return { kind: 'ADMIN', tenant: auth.tenant, clientId: auth.id, scopes };
  return { kind: 'APPLICATION', tenant: auth.tenant, appId: auth.appId!, systemAuthId: auth.id, scopes, via: 'OAUTH' };
}

/** Forgets the SystemAuths looked up recently (tests). */
export function forgetRecentSystemAuths(): void {
  recent.clear();
}
