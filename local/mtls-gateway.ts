// The local mTLS endpoint: what API Gateway's custom domain with mutual TLS does in AWS. An HTTPS server that requires
// a client certificate chained to the pairing CA, builds the REST API event (api-gateway-event.ts) and invokes the very
// same function through serverless-offline's Lambda endpoint (Lambda's Invoke API, a plain HTTP POST).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import tls, { type TLSSocket } from 'node:tls';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { MAX_REQUEST_BYTES } from '../shared/http';
import { isHopByHopHeader, restApiEvent } from './api-gateway-event';
import { developmentServerCredentials } from './dev-server-ca';

/** The paths the mTLS endpoint serves (POST only), and the function behind each. */
export const MTLS_ROUTES: Readonly<Record<string, MtlsFunction>> = {
  '/director/graphql': 'director',
  '/connector/graphql': 'connector',
  // RFC 8705 tls_client_auth: certificate-bound access tokens (the metadata's mtls_endpoint_aliases.token_endpoint).
  '/oauth2/token': 'oauth',
};
export type MtlsFunction = 'director' | 'connector' | 'oauth';

export interface MtlsGatewayOptions {
  port: number;
  host?: string;
  /** serverless-offline's Lambda endpoint, e.g. http://127.0.0.1:3002. */
  lambdaEndpoint: string;
  /** The full Lambda name serverless-offline knows, e.g. `pairing-service-local-director`. */
  functionName(name: MtlsFunction): string;
  /** Where the development server CA lives (.local): <stateDir>/mtls-server-ca.pem. */
  stateDir: string;
  /** The truststore: client certificates must chain to one of these CAs (the pairing CAs not retired, PEM). */
  pairingCaPem: string;
  /** requestContext.stage of the events; default `local`. */
  stage?: string;
  /** One line per failed invocation (never request contents); default: stderr. */
  log?: (line: string) => void;
}

export interface MtlsGateway {
  /** https://<host>:<port> */
  readonly url: string;
  readonly port: number;
  /** The development CA clients trust the endpoint with (`curl --cacert`). */
  readonly serverCaFile: string;
  readonly serverCaPem: string;
  /** Replaces the truststore for new connections (after rotate-ca or retire-ca); open connections keep theirs. */
  setTrustedCas(pairingCaPem: string): void;
  /** Stops listening and closes every open connection. */
  stop(): Promise<void>;
}

// API Gateway's answers when no function is involved, byte for byte where clients might look.
// A REST API (custom domain, empty base path) answers a path or method it has no route for with this 403.
const NO_ROUTE = { statusCode: 403, body: '{"message":"Missing Authentication Token"}' };
const FORBIDDEN = { statusCode: 403, body: '{"message":"Forbidden"}' };
const TOO_LARGE = { statusCode: 413, body: '{"message":"Request Entity Too Large"}' };
const INTERNAL = { statusCode: 502, body: '{"message":"Internal server error"}' };

/**
 * How many invocations the endpoint has in flight at once, each on a kept-alive connection of its own to the Lambda
 * endpoint (serverless-offline runs each concurrent invocation in a worker of its own, like Lambda's containers).
 * More requests wait for a free connection, in order. A gateway that invoked one function at a time, or opened a
 * connection per request, would make the local stack's concurrency figures meaningless
 * (test/integration/local/mtls-gateway-concurrency.test.ts).
 */
export const MAX_CONCURRENT_INVOCATIONS = 64;

interface Invocation {
  /** The HTTP status of the Invoke call (200 when the function ran). */
  status: number;
  /** Set when the function failed (X-Amz-Function-Error) or the endpoint refused the call (x-amzn-ErrorType). */
  functionError?: string;
  payload: Buffer;
}

/**
 * Lambda's Invoke (RequestResponse) as the HTTP call it is: POST /2015-03-31/functions/<name>/invocations with the
 * event, the function's result as the answer. Done without the AWS SDK's client: its signing, endpoint resolution
 * and middleware were about 40% of this process's CPU per request, for an endpoint that checks no signature (in AWS,
 * API Gateway invokes the function itself, without an SDK either). Never retried: an invocation is not idempotent.
 */
function invoke(agent: http.Agent, endpoint: URL, functionName: string, event: unknown): Promise<Invocation> {
  const body = Buffer.from(JSON.stringify(event));
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL(`/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, endpoint),
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-amz-invocation-type': 'RequestResponse' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const header = response.headers['x-amz-function-error'] ?? response.headers['x-amzn-errortype'];
          resolve({ status: response.statusCode ?? 0, functionError: Array.isArray(header) ? header.join(',') : header, payload: Buffer.concat(chunks) });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

interface GatewayAnswer {
  statusCode: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, Array<string | number | boolean>>;
  body: string;
  isBase64Encoded?: boolean;
}

function send(response: ServerResponse, answer: GatewayAnswer, extraHeaders: Record<string, string> = {}): void {
  const body = Buffer.from(answer.body ?? '', answer.isBase64Encoded ? 'base64' : 'utf8');
  response.statusCode = answer.statusCode;
  const set = (name: string, value: string | string[]) => {
    if (!isHopByHopHeader(name) && name.toLowerCase() !== 'content-length') response.setHeader(name, value);
  };
  if (!answer.headers && !answer.multiValueHeaders) set('content-type', 'application/json');
  for (const [name, value] of Object.entries(answer.headers ?? {})) set(name, String(value));
  for (const [name, values] of Object.entries(answer.multiValueHeaders ?? {})) set(name, values.map(String));
  for (const [name, value] of Object.entries(extraHeaders)) set(name, value);
  response.setHeader('content-length', body.length);
  response.end(body);
}

/** The function's answer as an API Gateway proxy result, or undefined when it is not one. */
function proxyResult(payload: Uint8Array | undefined): GatewayAnswer | undefined {
  if (!payload) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
  const result = parsed as Partial<APIGatewayProxyResult> | null;
  if (!result || typeof result !== 'object' || typeof result.statusCode !== 'number') return undefined;
  return {
    statusCode: result.statusCode,
    headers: result.headers,
    multiValueHeaders: result.multiValueHeaders,
    body: typeof result.body === 'string' ? result.body : '',
    isBase64Encoded: result.isBase64Encoded === true,
  };
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the rest is discarded). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!tooLarge) resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/** Starts the HTTPS server with mutual TLS; resolves once it accepts connections. */
export async function startMtlsGateway(options: MtlsGatewayOptions): Promise<MtlsGateway> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const credentials = developmentServerCredentials(options.stateDir);
  const invokeAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONCURRENT_INVOCATIONS, scheduling: 'lifo' });
  const lambdaEndpoint = new URL(options.lambdaEndpoint);

  // The client certificate of a connection, parsed once: a keep-alive client sends many requests on one connection.
  const peerCertificates = new WeakMap<TLSSocket, X509Certificate>();
  const peerCertificate = (socket: TLSSocket): X509Certificate | undefined => {
    let certificate = peerCertificates.get(socket);
    if (!certificate) {
      certificate = socket.getPeerX509Certificate();
      if (certificate) peerCertificates.set(socket, certificate);
    }
    return certificate;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://gateway.invalid');
    const fn = MTLS_ROUTES[url.pathname];
    if (!fn || request.method !== 'POST') {
      request.resume();
      send(response, NO_ROUTE);
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    const body = declared > MAX_REQUEST_BYTES ? undefined : await readBody(request, MAX_REQUEST_BYTES);
    if (!body) {
      // Stop reading an oversized upload: answer and close the connection.
      send(response, TOO_LARGE, { connection: 'close' });
      response.once('finish', () => request.destroy());
      return;
    }
    const socket = request.socket as TLSSocket;
    const clientCertificate = peerCertificate(socket);
    if (!clientCertificate) {
      // Unreachable with requestCert + rejectUnauthorized; refuse rather than build an event without one.
      send(response, FORBIDDEN);
      return;
    }
    const event = restApiEvent({
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      rawHeaders: request.rawHeaders,
      body,
      sourceIp: socket.remoteAddress ?? '127.0.0.1',
      port: socket.localPort ?? options.port,
      clientCertificate,
      stage,
    });
    const functionName = options.functionName(fn);
    try {
      const out = await invoke(invokeAgent, lambdaEndpoint, functionName, event);
      const failure = out.functionError ?? (out.status === 200 ? undefined : `status ${out.status}`);
      const answer = failure ? undefined : proxyResult(out.payload);
      if (!answer) {
        log(`mTLS endpoint: ${functionName} failed or returned no proxy result (${failure ?? 'malformed payload'})`);
        send(response, INTERNAL);
        return;
      }
      send(response, answer);
    } catch (error) {
      log(`mTLS endpoint: invoking ${functionName} failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`);
      send(response, INTERNAL);
    }
  };

  const secureContext = (pairingCaPem: string) => ({ key: credentials.privateKeyPem, cert: credentials.certificatePem, ca: pairingCaPem });
  const server = https.createServer(
    {
      ...secureContext(options.pairingCaPem),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        log(`mTLS endpoint: request failed: ${(error as Error).name}`);
        if (!response.headersSent) send(response, INTERNAL);
        else response.destroy();
      });
    },
  );
  // Handshake failures (no certificate, another CA, expired) end as TLS alerts; nothing to log per client.
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `https://${urlHost}:${port}`,
    port,
    serverCaFile: credentials.caCertificateFile,
    serverCaPem: credentials.caCertificatePem,
    setTrustedCas: (pairingCaPem) => server.setSecureContext(secureContext(pairingCaPem)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        invokeAgent.destroy();
      }),
  };
}

/**
 * Resolves once the endpoint at `url` completes a TLS handshake with a server certificate that chains to
 * `serverCaPem` (no client certificate is offered: the server's refusal comes only after that point).
 */
export async function waitForMtlsEndpoint(url: string, serverCaPem: string, timeoutMs = 10000): Promise<void> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + timeoutMs;
  let lastProblem = '';
  while (Date.now() < deadline) {
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = tls.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port), ca: serverCaPem, servername: 'localhost', timeout: 2000 });
        socket.once('secureConnect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('timeout', () => socket.destroy(new Error('timeout')));
        socket.once('error', reject);
      });
      return;
    } catch (error) {
      lastProblem = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the mTLS endpoint did not answer at ${url} within ${Math.round(timeoutMs / 1000)} s (${lastProblem})`);
}
