// Certificate-bound access tokens (RFC 8705) for a certificate pairing: tls_client_auth with the live certificate at the
// mTLS endpoint's token endpoint; the token works only together with that certificate, so it is cached per certificate.
import https from 'node:https';
import path from 'node:path';
import { liveCertificate } from './certificate-pairing';
import { AgentError, CredentialRefusedError, ServiceUnavailableError } from './errors';
import { readJson, writeFileAtomic } from './files';
import { tlsCredentials } from './store';
import type { AccessToken } from './client-credentials';

const TOKEN_CACHE_FILE = 'bound-access-token.json';
/** A cached token is used while more than this is left of it. */
const REFRESH_MARGIN_MS = 60_000;
const TIMEOUT_MS = 30_000;

/** What `token --mtls` prints: the token, and the serial of the certificate it is bound to. */
export interface BoundAccessToken extends AccessToken {
  certificate_serial: string;
}

/**
 * The mTLS endpoint's token endpoint: the custom domain maps the whole API at its root, so it sits beside the Director
 * the pairing was given (the discovery document's mtls_endpoint_aliases.token_endpoint).
 */
export const boundTokenUrl = (directorUrl: string): string => new URL('/oauth2/token', directorUrl).toString();

/** The cached bound token of the live certificate while it has more than a minute left, else a new one. */
export async function boundAccessToken(dir: string, options: { refresh?: boolean } = {}): Promise<BoundAccessToken> {
  const { state, live } = liveCertificate(dir);
  const cacheFile = path.join(dir, TOKEN_CACHE_FILE);
  const cached = readJson<BoundAccessToken>(cacheFile);
  // A renewal retires the certificate a cached token is bound to: only a token of the live one is reused.
  if (!options.refresh && cached?.certificate_serial === live.serial && Date.parse(cached.expires_at) - Date.now() > REFRESH_MARGIN_MS) return cached;

  const url = boundTokenUrl(state.directorUrl);
  const credentials = tlsCredentials(dir, state, live);
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: state.systemAuthId }).toString();
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
        agent: false, cert: credentials.cert, key: credentials.key, ca: credentials.serverCa,
        timeout: TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (error) => reject(new ServiceUnavailableError(`the answer from ${url} broke off: ${error.message}`)));
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', (error) => reject(new ServiceUnavailableError(`no answer from ${url}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    request.end(body);
  });
  if (status >= 500 || status === 429) throw new ServiceUnavailableError(`${url} answered HTTP ${status}`);
  let answer: Record<string, unknown> = {};
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below by the status
  }
  if (status === 401 || answer.error === 'invalid_client') {
    throw new CredentialRefusedError(`the token endpoint refuses the certificate ${live.serial}: ${String(answer.error_description ?? answer.error ?? status)}`);
  }
  if (status !== 200 || typeof answer.access_token !== 'string') throw new AgentError(`${url} answered HTTP ${status}: ${String(answer.error_description ?? answer.error ?? '')}`);
  const token: BoundAccessToken = {
    access_token: answer.access_token,
    token_type: String(answer.token_type ?? 'Bearer'),
    ...(typeof answer.scope === 'string' ? { scope: answer.scope } : {}),
    expires_at: new Date(Date.now() + Number(answer.expires_in ?? 0) * 1000).toISOString(),
    certificate_serial: live.serial,
  };
  writeFileAtomic(cacheFile, `${JSON.stringify(token)}\n`, 0o600);
  return token;
}
