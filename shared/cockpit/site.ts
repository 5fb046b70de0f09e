// Serves the Cockpit page: GET /cockpit is the index HTML, GET /cockpit/<name> one of its built files, all else 404.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { STRICT_TRANSPORT_SECURITY } from '../http';

/** One file of the page, as cockpit/build.cjs made it. */
export interface CockpitFile {
  /** With its charset, e.g. `text/javascript; charset=utf-8`. */
  contentType: string;
  body: string;
}

/** What cockpit/build.cjs builds (and the `cockpit-assets` module holds): the HTML and the files it links. */
export interface CockpitAssets {
  /** With BASE_PATH_PLACEHOLDER where the path in front of /cockpit goes (see renderIndexHtml). */
  indexHtml: string;
  /** By file name; the names carry a hash of their content. */
  files: Record<string, CockpitFile>;
}

export type CockpitRequest = Partial<Pick<APIGatewayProxyEvent, 'httpMethod' | 'path' | 'resource' | 'pathParameters'>> & {
  requestContext?: { path?: string } | null;
};

/** The same string as BASE_PATH in cockpit/build.cjs. */
export const BASE_PATH_PLACEHOLDER = '{{basePath}}';

/** One path segment as API Gateway stages and base path mappings name them. */
const BASE_PATH = /^(?:\/[A-Za-z0-9._~-]+)*$/;

/**
 * The path in front of /cockpit that the browser asked for: "/prod" on the execute-api host (API Gateway
 * puts the stage into requestContext.path, not into path), a base path mapping on a custom domain, else "".
 */
export function basePathOf(event: CockpitRequest): string {
  const asked = event.requestContext?.path;
  if (typeof asked !== 'string') return '';
  const base = asked.replace(/\/cockpit\/?$/, '');
  return base !== asked && BASE_PATH.test(base) ? base : '';
}

/**
 * What the page hands an application besides the Director's pairing data: the mTLS endpoint's base URL, and the CA
 * its server certificate chains to (empty: a publicly trusted certificate, nothing to hand over). Both public.
 */
export interface HandoffSettings {
  mtlsBaseUrl: string;
  mtlsServerCa: string;
}

/** From the function's environment: MTLS_BASE_URL and MTLS_SERVER_CA (serverless.yml). */
export function handoffSettings(env: NodeJS.ProcessEnv = process.env): HandoffSettings {
  // Lines end in \n, as a browser reads an attribute anyway (a PEM written by node-forge ends them in \r\n).
  return { mtlsBaseUrl: (env.MTLS_BASE_URL ?? '').replace(/\/+$/, ''), mtlsServerCa: (env.MTLS_SERVER_CA ?? '').replace(/\r\n/g, '\n') };
}

/** The names of the <meta> elements that carry HandoffSettings to the page (cockpit/web reads them). */
export const HANDOFF_META = { mtlsBaseUrl: 'pairing-mtls-url', mtlsServerCa: 'pairing-mtls-server-ca' } as const;

const escapeAttribute = (value: string) => value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * The index HTML for one request: its files as absolute paths below that request's base path, and the handoff
 * settings as <meta> elements (the CSP allows no inline script, and data in the page needs no second request).
 */
export function renderIndexHtml(indexHtml: string, basePath: string, settings?: HandoffSettings): string {
  const html = indexHtml.replaceAll(BASE_PATH_PLACEHOLDER, basePath);
  if (!settings) return html;
  const metas = (Object.keys(HANDOFF_META) as (keyof HandoffSettings)[]).map(
    (key) => `<meta name="${HANDOFF_META[key]}" content="${escapeAttribute(settings[key])}">`,
  );
  return html.replace('</head>', `${metas.join('\n')}\n</head>`);
}

const PAGE_PATH = '/cockpit';
const ASSET_RESOURCE = '/cockpit/{asset}';

/**
 * No inline script or style, everything from this origin (the page calls the token endpoint and the Director
 * here), images also as data: URLs, no <base>, no form posts, never framed.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** On every answer, the 404s included. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': STRICT_TRANSPORT_SECURITY,
};

/** The HTML names the current files, so it is fetched again every time. */
const HTML_CACHE_CONTROL = 'no-store';
/** A file's name changes with its content: a browser may keep it for good. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Built file names are plain (cockpit/build.cjs); anything else cannot be one of them. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*\.[a-z0-9]+$/;

function respond(statusCode: number, contentType: string, cacheControl: string, body: string): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'content-type': contentType, 'cache-control': cacheControl },
    body,
  };
}

const notFound = () => respond(404, 'text/plain; charset=utf-8', 'no-store', 'Not found\n');

/** The requested file name: API Gateway's path parameter, or the last segment of the path when there is none. */
function requestedName(event: CockpitRequest): string | undefined {
  const parameter = event.pathParameters?.asset;
  if (typeof parameter === 'string') return parameter;
  const match = typeof event.path === 'string' ? /^\/cockpit\/([^/]+)$/.exec(event.path) : null;
  return match?.[1];
}

/** The file of that name, looked up as given and once URL-decoded; only exact names of built files match. */
function lookUp(files: CockpitAssets['files'], name: string): CockpitFile | undefined {
  const candidates = [name];
  try {
    candidates.push(decodeURIComponent(name));
  } catch {
    // Malformed escapes: no file has such a name.
  }
  for (const candidate of candidates) {
    if (ASSET_NAME.test(candidate) && Object.hasOwn(files, candidate)) return files[candidate];
  }
  return undefined;
}

function route(event: CockpitRequest, assets: CockpitAssets, settings?: HandoffSettings): APIGatewayProxyResult {
  if (event.httpMethod !== 'GET') return notFound();
  const resource = typeof event.resource === 'string' && event.resource ? event.resource : undefined;
  const path = typeof event.path === 'string' ? event.path : undefined;
  const isPage = resource ? resource === PAGE_PATH : path === PAGE_PATH || path === `${PAGE_PATH}/`;
  if (isPage) return respond(200, 'text/html; charset=utf-8', HTML_CACHE_CONTROL, renderIndexHtml(assets.indexHtml, basePathOf(event), settings));
  if (resource && resource !== ASSET_RESOURCE) return notFound();
  const name = requestedName(event);
  const file = name === undefined ? undefined : lookUp(assets.files, name);
  return file ? respond(200, file.contentType, ASSET_CACHE_CONTROL, file.body) : notFound();
}

/** Never throws: a request that is not for the page or one of its files is a 404. */
export function serveCockpit(event: CockpitRequest, assets: CockpitAssets, settings?: HandoffSettings): APIGatewayProxyResult {
  try {
    return route(event ?? {}, assets, settings);
  } catch {
    return respond(500, 'text/plain; charset=utf-8', 'no-store', 'Internal error\n');
  }
}
