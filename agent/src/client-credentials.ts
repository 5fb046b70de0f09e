// Client-credentials pairings: the stored client (credentials.json, 0600) and a cached access token (access-token.json, 0600).
import path from 'node:path';
import { AgentError, BadInputError, CredentialRefusedError, ServiceUnavailableError } from './errors';
import { readJson, writeFileAtomic } from './files';
import type { ClientCredentialsPairing } from './pairing-data';
import { CREDENTIALS_FILE, readState, writeState, type ClientCredentialsPairingState } from './store';

const TOKEN_CACHE_FILE = 'access-token.json';
/** A cached token is used while more than this is left of it. */
const REFRESH_MARGIN_MS = 60_000;

interface StoredCredentials {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  scopes: string[];
}

export interface AccessToken {
  access_token: string;
  token_type: string;
  scope?: string;
  expires_at: string;
}

export function storeClientCredentials(dir: string, pairing: ClientCredentialsPairing) {
  const credentials: StoredCredentials = { clientId: pairing.clientId, clientSecret: pairing.clientSecret, tokenUrl: pairing.tokenUrl, scopes: pairing.scopes };
  writeFileAtomic(path.join(dir, CREDENTIALS_FILE), `${JSON.stringify(credentials, null, 2)}\n`, 0o600);
  const state: ClientCredentialsPairingState = {
    version: 1,
    kind: 'client-credentials',
    systemAuthId: pairing.systemAuthId ?? pairing.clientId,
    clientId: pairing.clientId,
    tokenUrl: pairing.tokenUrl,
    scopes: pairing.scopes,
    pairedAt: new Date().toISOString(),
  };
  writeState(dir, state);
  return { dir, kind: state.kind, systemAuthId: state.systemAuthId, clientId: state.clientId, tokenUrl: state.tokenUrl, scopes: state.scopes };
}

/** The cached access token while it has more than a minute left, else a new one from the token endpoint. */
export async function accessToken(dir: string, options: { refresh?: boolean } = {}): Promise<AccessToken> {
  const state = readState(dir);
  if (state?.kind !== 'client-credentials') throw new BadInputError(`--dir ${dir} holds no client-credentials pairing`);
  const cacheFile = path.join(dir, TOKEN_CACHE_FILE);
  const cached = readJson<AccessToken>(cacheFile);
  if (!options.refresh && cached && Date.parse(cached.expires_at) - Date.now() > REFRESH_MARGIN_MS) return cached;

  const credentials = readJson<StoredCredentials>(path.join(dir, CREDENTIALS_FILE))!;
  const basic = Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64');
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(credentials.scopes.length ? { scope: credentials.scopes.join(' ') } : {}) });
  let response: Response;
  try {
    response = await fetch(credentials.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new ServiceUnavailableError(`no answer from ${credentials.tokenUrl}: ${(error as Error).message}`);
  }
  if (response.status >= 500 || response.status === 429) throw new ServiceUnavailableError(`${credentials.tokenUrl} answered HTTP ${response.status}`);
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status === 401 || answer.error === 'invalid_client') throw new CredentialRefusedError(`the token endpoint refuses this client: ${String(answer.error_description ?? answer.error ?? response.status)}`);
  if (response.status !== 200 || typeof answer.access_token !== 'string') throw new AgentError(`the token endpoint answered HTTP ${response.status}: ${String(answer.error_description ?? answer.error ?? '')}`);
  const token: AccessToken = {
    access_token: answer.access_token,
    token_type: String(answer.token_type ?? 'Bearer'),
    ...(typeof answer.scope === 'string' ? { scope: answer.scope } : {}),
    expires_at: new Date(Date.now() + Number(answer.expires_in ?? 0) * 1000).toISOString(),
  };
  writeFileAtomic(cacheFile, `${JSON.stringify(token)}\n`, 0o600);
  return token;
}
