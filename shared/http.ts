// Helpers between API Gateway proxy events and the service: headers, bodies, base URLs, JSON responses.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LOCAL_STAGE, type Config } from './config';
import { ConfigurationError } from './errors';

/** Requests larger than this are refused before they are parsed. */
export const MAX_REQUEST_BYTES = 100 * 1024;

/** A header's value, looked up without regard to case (API Gateway keeps the client's spelling). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The request body as bytes (API Gateway may hand it over base64-encoded). */
export function bodyBytes(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** What publicBaseUrl reads of the configuration. */
export type BaseUrlSettings = Pick<Config, 'publicBaseUrl' | 'stage'>;

/**
 * Base URL clients use to reach the HTTPS API: the configured one. Only the local stage may go without
 * and derive it from the request's Host and X-Forwarded-Proto; anywhere else those headers are the
 * client's to choose, so a missing PUBLIC_BASE_URL is a ConfigurationError, never a host-derived URL.
 */
export function publicBaseUrl(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>, settings: BaseUrlSettings): string {
  const { publicBaseUrl: configured, stage: serviceStage } = settings;
  if (configured) return configured;
  if (serviceStage !== LOCAL_STAGE) {
    throw new ConfigurationError(`PUBLIC_BASE_URL is not set on stage "${serviceStage}": only the ${LOCAL_STAGE} stage derives it from the request`);
  }
  const host = header(event, 'host') ?? event.requestContext?.domainName ?? 'localhost';
  const proto = header(event, 'x-forwarded-proto') ?? 'https';
  const stage = event.requestContext?.stage;
  // API Gateway's default execute-api host serves paths under the stage; a custom domain does not.
  const prefix = stage && /\.execute-api\./.test(host) ? `/${stage}` : '';
  return `${proto}://${host}${prefix}`;
}

/**
 * HTTPS only, for two years, subdomains included (RFC 6797). Sent on every answer: browsers ignore it over
 * plain HTTP (the local stack), and API Gateway only speaks HTTPS.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=63072000; includeSubDomains';

/** A plain-text answer (e.g. a GraphQL SDL), never sniffed as another type, HTTPS only. */
export function textResponse(statusCode: number, body: string, contentType: string, cacheControl: string): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'content-type': contentType,
      'cache-control': cacheControl,
      'x-content-type-options': 'nosniff',
      'strict-transport-security': STRICT_TRANSPORT_SECURITY,
    },
    body,
  };
}

/** Every JSON answer: never cached (answers carry tokens, secrets and tenant data), never sniffed as another type, HTTPS only. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': STRICT_TRANSPORT_SECURITY,
      ...headers,
    },
    body: JSON.stringify(body),
  };
}
