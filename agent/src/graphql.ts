// GraphQL over HTTP to the service: token-secured (Connector-Token header) and certificate-secured (mutual TLS).
import https from 'node:https';
import { ServiceUnavailableError } from './errors';

export interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

export interface GraphQLAnswer<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLError[];
}

/** The client certificate, its key and the CA of the server's certificate (undefined: the system's CAs). */
export interface TlsCredentials {
  cert: string;
  key: string;
  serverCa?: string;
}

const TIMEOUT_MS = 30_000;

function answer<T>(url: string, status: number, body: string): GraphQLAnswer<T> {
  if (status >= 500 || status === 429) throw new ServiceUnavailableError(`${url} answered HTTP ${status}`);
  try {
    const parsed = JSON.parse(body) as Omit<GraphQLAnswer<T>, 'status'>;
    return { status, data: parsed.data, errors: parsed.errors };
  } catch {
    throw new ServiceUnavailableError(`${url} answered HTTP ${status} without a GraphQL answer`);
  }
}

const reasonOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** POST with `Connector-Token: <token>`: the Connector's token-secured side. */
export async function tokenSecured<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Connector-Token': token },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new ServiceUnavailableError(`no answer from ${url}: ${reasonOf((error as { cause?: unknown }).cause ?? error)}`);
  }
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    throw new ServiceUnavailableError(`the answer from ${url} broke off: ${reasonOf(error)}`);
  }
  return answer<T>(url, response.status, body);
}

/** POST over mutual TLS with the client certificate: the certificate-secured Connector and Director. */
export function certificateSecured<T>(url: string, credentials: TlsCredentials, query: string, variables: Record<string, unknown> = {}, agent?: https.Agent): Promise<GraphQLAnswer<T>> {
  const payload = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
        ...(agent ? { agent } : { agent: false, cert: credentials.cert, key: credentials.key, ca: credentials.serverCa }),
        timeout: TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve(answer<T>(url, response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', (error) => reject(new ServiceUnavailableError(`the answer from ${url} broke off: ${reasonOf(error)}`)));
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', (error) => reject(new ServiceUnavailableError(`no answer from ${url}: ${reasonOf(error)}`)));
    request.end(payload);
  });
}

/** The first error's message and code, for a message naming what the service said. */
export function firstError(answer: GraphQLAnswer<unknown>): { message: string; code: string } | undefined {
  const error = answer.errors?.[0];
  return error ? { message: error.message, code: error.extensions?.code ?? 'UNKNOWN' } : undefined;
}
