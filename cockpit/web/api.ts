// The two HTTP APIs the page talks to: the OAuth 2.0 token endpoint (sign-in) and the Director (GraphQL).

// They sit beside /cockpit, wherever that is (/cockpit locally, /<stage>/cockpit on the execute-api host):
// this script is served from <base>/cockpit/<file>, so its own URL says where <base> is, whatever the page's
// URL looks like (/cockpit or /cockpit/).
const apiUrl = (path: string) => new URL(`../${path}`, import.meta.url).href;
const TOKEN_PATH = apiUrl('oauth2/token');
/** The Director's absolute URL: where the page sends its queries, and where an application sends its access token. */
export const DIRECTOR_PATH = apiUrl('director/graphql');
/** The scope only administrators hold; an application's credentials do not sign in to Cockpit. */
const ADMIN_SCOPE = 'application:write';

export interface Session {
  accessToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface FieldViolation {
  field: string;
  message: string;
}

/** A refusal the user can act on: its message is the API's own, written for the client. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly violations: readonly FieldViolation[] = [],
  ) {
    super(message);
  }
}

/** The access token is no longer accepted (expired or revoked): the user must sign in again. */
export class SessionExpiredError extends Error {
  constructor() {
    super('Your session has expired. Sign in again.');
  }
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    // no-store: responses carry tokens and secrets, and must not land in the browser's cache.
    return await fetch(path, { ...init, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError('The pairing service cannot be reached. Check your connection and try again.');
  }
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Exchanges an administrator's client id and secret for an access token (OAuth 2.0 client credentials). */
export async function signIn(clientId: string, clientSecret: string): Promise<Session> {
  const response = await send(TOKEN_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  const body = await readJson(response);
  if (response.status === 401 || body?.error === 'invalid_client') {
    throw new ApiError('Sign-in failed: the client id or secret is wrong, or the client was revoked.');
  }
  if (!response.ok || typeof body?.access_token !== 'string') {
    const reason = typeof body?.error_description === 'string' ? body.error_description : `HTTP ${response.status}`;
    throw new ApiError(`Sign-in failed: ${reason}`);
  }
  const scopes = String(body.scope ?? '').split(' ');
  if (!scopes.includes(ADMIN_SCOPE)) {
    throw new ApiError('Sign-in failed: these are an application\'s credentials; Cockpit needs an administrator client.');
  }
  const lifetimeSeconds = typeof body.expires_in === 'number' ? body.expires_in : 0;
  return { accessToken: body.access_token, expiresAt: Date.now() + lifetimeSeconds * 1000 };
}

interface GraphQLErrorEntry {
  message?: string;
  extensions?: { code?: string; violations?: FieldViolation[] };
}

/** Runs one Director operation as the signed-in administrator; the first error becomes an ApiError. */
export async function director<T>(session: Session, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  if (Date.now() >= session.expiresAt) throw new SessionExpiredError();
  const response = await send(DIRECTOR_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new SessionExpiredError();
  const body = await readJson(response);
  const errors = (body?.errors ?? []) as GraphQLErrorEntry[];
  if (errors.length > 0) {
    const [first] = errors;
    const code = first.extensions?.code ?? 'INTERNAL';
    if (code === 'UNAUTHENTICATED') throw new SessionExpiredError();
    throw new ApiError(first.message ?? 'The request failed.', first.extensions?.violations ?? []);
  }
  if (!response.ok || !body?.data) throw new ApiError(`The Director answered HTTP ${response.status}.`);
  return body.data as T;
}
