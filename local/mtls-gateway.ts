// The local mTLS endpoint: what API Gateway's custom domain with mutual TLS does in AWS. It requires a
// client certificate chained to the pairing CA, builds the REST API event with requestContext.identity.clientCert
// and invokes the very same function through serverless-offline's Lambda endpoint.
import crypto, { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayEventClientCertificate, APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MAX_REQUEST_BYTES } from '../shared/http';
import { developmentServerCredentials } from './dev-server-ca';

/** The paths the mTLS endpoint serves (POST only), and the function behind each. */
export const MTLS_ROUTES: Readonly<Record<string, MtlsFunction>> = {
  '/director/graphql': 'director',
  '/connector/graphql': 'connector',
};
export type MtlsFunction = 'director' | 'connector';

export interface MtlsGatewayOptions {
  port: number;
  host?: string;
  /** serverless-offline's Lambda endpoint, e.g. http://127.0.0.1:3002. */
  lambdaEndpoint: string;
  /** The full Lambda name serverless-offline knows, e.g. `pairing-service-local-director`. */
  functionName(name: MtlsFunction): string;
  /** Where the development server CA lives (.local): <stateDir>/mtls-server-ca.pem. */
  stateDir: string;
  /** The truststore: client certificates must chain to this CA (the pairing CA). */
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
 * Request headers that could pass as certificate data downstream (X-Client-Cert, Client-Id-From-Certificate,
 * Certificate-Data, X-SSL-Client-Cert, X-Forwarded-Client-Cert, ...). The functions never read them; they
 * are dropped here as well so no handler could start to.
 */
export function isCertificateHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.includes('cert') || lower.startsWith('ssl-client') || lower.startsWith('x-ssl');
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
/** Headers API Gateway sets itself; a client's own values are not passed on as they are. */
const GATEWAY_SET = new Set(['x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-for']);

/** RFC 4514 string of a node:crypto distinguished name ("C=DE\nO=Org\nCN=x" -> "CN=x,O=Org,C=DE"). */
function rfc4514(nodeDn: string): string {
  return nodeDn
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => {
      const at = rdn.indexOf('=');
      const value = rdn.slice(at + 1).replace(/([,+"\\<>;])/g, '\\$1');
      return `${rdn.slice(0, at)}=${value}`;
    })
    .join(',');
}

/** The client certificate as API Gateway's mutual TLS describes it in requestContext.identity.clientCert. */
export function clientCertificateData(certificate: X509Certificate): APIGatewayEventClientCertificate {
  const serial = certificate.serialNumber.length % 2 ? `0${certificate.serialNumber}` : certificate.serialNumber;
  return {
    clientCertPem: certificate.toString(),
    subjectDN: rfc4514(certificate.subject),
    issuerDN: rfc4514(certificate.issuer),
    serialNumber: serial.toLowerCase().match(/../g)!.join(':'),
    // Node formats these as OpenSSL does ("May 28 12:30:02 2019 GMT"), like API Gateway.
    validity: { notBefore: certificate.validFrom, notAfter: certificate.validTo },
  };
}

export interface GatewayRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Node's rawHeaders: name, value, name, value... in the client's spelling. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** The port the client connected to. */
  port: number;
  clientCertificate: X509Certificate;
  stage: string;
  now?: Date;
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** The REST API (payload 1.0) proxy event API Gateway's custom domain with mutual TLS would send. */
export function restApiEvent(request: GatewayRequest): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  let clientForwardedFor: string | undefined;
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    const value = request.rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') clientForwardedFor = clientForwardedFor ? `${clientForwardedFor}, ${value}` : value;
    if (isCertificateHeader(name) || HOP_BY_HOP.has(lower) || GATEWAY_SET.has(lower)) continue;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const gatewayHeaders = {
    'X-Forwarded-For': clientForwardedFor ? `${clientForwardedFor}, ${request.sourceIp}` : request.sourceIp,
    'X-Forwarded-Port': String(request.port),
    'X-Forwarded-Proto': 'https',
  };
  for (const [name, value] of Object.entries(gatewayHeaders)) {
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of request.query) {
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;
  const hostHeader = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1] ?? '127.0.0.1';
  const now = request.now ?? new Date();
  const requestId = crypto.randomUUID();
  const body = request.body.length === 0 ? null : isUtf8(request.body) ? request.body.toString('utf8') : request.body.toString('base64');
  return {
    resource: request.path,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: body !== null && !isUtf8(request.body),
    requestContext: {
      accountId: 'local',
      apiId: 'local-mtls',
      authorizer: null,
      domainName: hostHeader.replace(/:\d+$/, ''),
      domainPrefix: hostHeader.replace(/:\d+$/, '').split('.')[0] ?? '',
      extendedRequestId: requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: clientCertificateData(request.clientCertificate),
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
        userArn: null,
      },
      path: request.path,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: request.path,
      resourcePath: request.path,
      stage: request.stage,
    },
  };
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
    if (!HOP_BY_HOP.has(name.toLowerCase()) && name.toLowerCase() !== 'content-length') response.setHeader(name, value);
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
  const lambda = new LambdaClient({
    endpoint: options.lambdaEndpoint,
    region: process.env.AWS_REGION ?? 'eu-central-1',
    // serverless-offline checks no signature, but the SDK insists on signing with something.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // An invocation is not idempotent (a renewal issues a certificate): never resend it.
    maxAttempts: 1,
  });

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
    const clientCertificate = socket.getPeerX509Certificate();
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
      const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }));
      const answer = out.FunctionError ? undefined : proxyResult(out.Payload);
      if (!answer) {
        log(`mTLS endpoint: ${functionName} failed or returned no proxy result (${out.FunctionError ?? 'malformed payload'})`);
        send(response, INTERNAL);
        return;
      }
      send(response, answer);
    } catch (error) {
      log(`mTLS endpoint: invoking ${functionName} failed: ${(error as Error).name}`);
      send(response, INTERNAL);
    }
  };

  const server = https.createServer(
    {
      key: credentials.privateKeyPem,
      cert: credentials.certificatePem,
      ca: options.pairingCaPem,
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
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        lambda.destroy();
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
