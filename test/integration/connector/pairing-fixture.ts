// Test support for the Connector: a pending CLIENT_CERTIFICATE pairing (adapter + in-process tokens function), API Gateway events, CSRs.
import { randomUUID, X509Certificate } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler as connectorHandler } from '../../../functions/connector/handler';
import { clientCertificateData } from '../../../local/api-gateway-event';
import { base64Pem, ecKeyPair, goodCsrDer, ECDSA_WITH_SHA256, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { freshTenant } from '../../support/local-aws';
import { clientCertificates } from '../../support/stores';

export const adapter = clientCertificates;

export const PUBLIC_BASE_URL = 'https://pairing.example.test';

export interface PendingPairing {
  tenant: string;
  appId: string;
  systemAuthId: string;
  /** The CONFIGURATION token from generateAuthForApplication. */
  token: string;
  params: Record<string, unknown>;
  expiresAt?: string;
}

/** A fresh tenant and application with a CLIENT_CERTIFICATE SystemAuth and its first token. */
export async function pendingPairing(): Promise<PendingPairing> {
  const application = { tenant: freshTenant(), id: randomUUID(), name: 'connector-test' };
  const result = await adapter.generate(application, {}, { publicBaseUrl: PUBLIC_BASE_URL });
  return {
    tenant: application.tenant,
    appId: application.id,
    systemAuthId: result.systemAuthID,
    token: String(result.params.token),
    params: result.params,
    expiresAt: result.expiresAt,
  };
}

/** An API Gateway (REST) proxy event for POST /connector/graphql. */
export function connectorEvent(
  body: unknown,
  options: { token?: string; tokenVia?: 'header' | 'query' } = {},
): APIGatewayProxyEvent {
  const { token, tokenVia = 'header' } = options;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Host: 'pairing.example.test' };
  if (token !== undefined && tokenVia === 'header') headers['Connector-Token'] = token;
  return {
    resource: '/connector/graphql',
    path: '/connector/graphql',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: {},
    queryStringParameters: token !== undefined && tokenVia === 'query' ? { token } : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), stage: 'test' } as APIGatewayProxyEvent['requestContext'],
  };
}

export interface ConnectorResponse {
  status: number;
  // Response bodies are JSON of unknown shape: tests read them like a client would.
  json: { data?: any; errors?: Array<{ message: string; extensions: { code: string } }> };
}

export async function callConnector(
  query: string,
  variables: Record<string, unknown>,
  token: string | undefined,
  tokenVia: 'header' | 'query' = 'header',
): Promise<ConnectorResponse> {
  const response = await connectorHandler(connectorEvent({ query, variables }, { token, tokenVia }));
  return { status: response.statusCode, json: JSON.parse(response.body) };
}

export const CONFIGURATION = `query { result: configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }`;
export const SIGN = `mutation($csr: String!) { result: signCertificateSigningRequest(csr: $csr) { certificateChain caCertificate clientCertificate } }`;

/** The CSR token that `configuration` returns for the pairing's first token. */
export async function csrToken(pairing: PendingPairing): Promise<string> {
  const response = await callConnector(CONFIGURATION, {}, pairing.token);
  const token = response.json.data?.result?.token?.token;
  if (response.status !== 200 || typeof token !== 'string') throw new Error(`configuration failed: ${JSON.stringify(response)}`);
  return token;
}

// One RSA key for all tests: key generation, not the Connector, would dominate the run time.
const rsaKeys = rsaKeyPair(2048);

/** A correct CSR (base64 of PEM) for the SystemAuth, with an RSA-2048 or EC P-256 key. */
export function csrFor(systemAuthId: string, key: 'rsa' | 'ec' = 'rsa'): string {
  const der = key === 'rsa' ? goodCsrDer(rsaKeys, systemAuthId) : goodCsrDer(ecKeyPair('prime256v1'), systemAuthId, ECDSA_WITH_SHA256);
  return base64Pem(der);
}

export const pemOf = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

/** The event API Gateway's custom domain with mutual TLS builds (REST API) for this client certificate, as the local mTLS endpoint does. */
export function mtlsEvent(
  path: '/director/graphql' | '/connector/graphql',
  certificatePem: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): APIGatewayProxyEvent {
  return {
    resource: path,
    path,
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', Host: '127.0.0.1:3443', 'X-Forwarded-Proto': 'https', ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify({ query, variables }),
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      stage: 'test',
      identity: { sourceIp: '127.0.0.1', clientCert: clientCertificateData(new X509Certificate(certificatePem)) },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}
