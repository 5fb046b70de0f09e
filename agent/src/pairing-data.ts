// Reads the pairing data an administrator copies (Cockpit, generateAuthForApplication, requestOneTimeTokenForApplication,
// its rawEncoded string) into the one thing the agent needs: a one-time token with its Connector URL, or client credentials.
import { BadInputError } from './errors';

export interface OneTimeTokenPairing {
  kind: 'one-time-token';
  token: string;
  connectorUrl: string;
  systemAuthId?: string;
}

export interface ClientCredentialsPairing {
  kind: 'client-credentials';
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  scopes: string[];
  systemAuthId?: string;
}

export type Pairing = OneTimeTokenPairing | ClientCredentialsPairing;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** The base64 JSON of `rawEncoded`; undefined when the text is not that. */
function decodeRawEncoded(value: string): Json | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(value)) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    return isObject(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

function httpUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BadInputError(`pairing data: ${what} "${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new BadInputError(`pairing data: ${what} must be an http(s) URL, got ${url.protocol}`);
  return url.toString();
}

/** The answer object inside a GraphQL envelope `{data: {<mutation>: …}}` or keyed by its mutation's name. */
function unwrap(input: Json): Json {
  let value: Json = input;
  if (isObject(value.data)) value = value.data;
  for (const field of ['generateAuthForApplication', 'requestOneTimeTokenForApplication', 'requestClientCredentialsForApplication']) {
    if (isObject(value[field])) return value[field] as Json;
  }
  return value;
}

function fromObject(input: Json): Pairing {
  const answer = unwrap(input);
  const type = text(answer.type);
  const systemAuthId = text(answer.systemAuthID) ?? text(answer.systemAuthId);
  let fields: Json = isObject(answer.params) ? answer.params : answer;
  if (type !== undefined && type !== 'CLIENT_CERTIFICATE' && type !== 'OAUTH2_CLIENT_CREDENTIALS') {
    throw new BadInputError(`pairing data of type ${type}: this agent pairs CLIENT_CERTIFICATE (one-time token) and OAUTH2_CLIENT_CREDENTIALS`);
  }
  if (text(fields.token) === undefined && text(fields.rawEncoded) !== undefined) fields = { ...fields, ...(decodeRawEncoded(text(fields.rawEncoded)!) ?? {}) };

  const token = text(fields.token);
  const connectorUrl = text(fields.connectorURL) ?? text(fields.connectorUrl);
  const clientId = text(fields.clientId) ?? text(fields.client_id);
  const clientSecret = text(fields.clientSecret) ?? text(fields.client_secret);
  const tokenUrl = text(fields.tokenUrl) ?? text(fields.tokenURL) ?? text(fields.token_url);

  if (type !== 'OAUTH2_CLIENT_CREDENTIALS' && token !== undefined && connectorUrl !== undefined) {
    return { kind: 'one-time-token', token, connectorUrl: httpUrl(connectorUrl, 'connectorURL'), systemAuthId };
  }
  if (type !== 'CLIENT_CERTIFICATE' && clientId !== undefined && tokenUrl !== undefined) {
    if (clientSecret === undefined) {
      throw new BadInputError('pairing data: client credentials without clientSecret (the secret is shown once, in the answer that created it)');
    }
    const scopes = Array.isArray(fields.scopes) ? fields.scopes.filter((scope): scope is string => typeof scope === 'string') : [];
    return { kind: 'client-credentials', clientId, clientSecret, tokenUrl: httpUrl(tokenUrl, 'tokenUrl'), scopes, systemAuthId: systemAuthId ?? clientId };
  }
  const missing =
    type === 'OAUTH2_CLIENT_CREDENTIALS' ? 'clientId and tokenUrl' : type === 'CLIENT_CERTIFICATE' ? 'token and connectorURL' : 'a one-time token (token and connectorURL) or client credentials (clientId, clientSecret, tokenUrl)';
  throw new BadInputError(`pairing data: no ${missing} found (fields present: ${Object.keys(fields).join(', ') || 'none'})`);
}

/** Pairing data as text: JSON (any of the shapes above; unknown fields are ignored) or the rawEncoded base64 string. */
export function parsePairingData(input: string): Pairing {
  const trimmed = input.trim();
  if (trimmed === '') throw new BadInputError('pairing data: empty input (pipe the JSON from Cockpit or generateAuthForApplication, or use --token and --connector-url)');
  if (/^[[{"]/.test(trimmed)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new BadInputError('pairing data: not valid JSON');
    }
    if (typeof parsed === 'string') return parsePairingData(parsed);
    if (!isObject(parsed)) throw new BadInputError('pairing data: expected a JSON object');
    return fromObject(parsed);
  }
  const decoded = decodeRawEncoded(trimmed);
  if (decoded === undefined) throw new BadInputError('pairing data: neither JSON nor a rawEncoded (base64 JSON) string');
  return fromObject(decoded);
}

/** --token and --connector-url given on the command line. */
export function pairingFromFlags(token: string, connectorUrl: string): OneTimeTokenPairing {
  if (token.trim() === '') throw new BadInputError('--token is empty');
  return { kind: 'one-time-token', token: token.trim(), connectorUrl: httpUrl(connectorUrl.trim(), '--connector-url') };
}
