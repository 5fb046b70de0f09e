// The REST API (payload 1.0) proxy event that API Gateway's custom domain with mutual TLS sends a function, built from
// a TLS request: headers as API Gateway passes them on, and the client certificate in requestContext.identity.clientCert.
import crypto, { type X509Certificate } from 'node:crypto';
import type { APIGatewayEventClientCertificate, APIGatewayProxyEvent } from 'aws-lambda';

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

/** Headers of one connection, not of the message: neither passed to the function nor back to the client. */
export function isHopByHopHeader(name: string): boolean {
  return HOP_BY_HOP.has(name.toLowerCase());
}

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
    if (isCertificateHeader(name) || isHopByHopHeader(name) || GATEWAY_SET.has(lower)) continue;
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
