// Builds API Gateway events for the OAuth handler, as API Gateway (REST) hands them over.
import type { APIGatewayProxyEvent } from 'aws-lambda';

export const BASE_URL = 'https://api.example.test';

export const basicAuthorization = (clientId: string, clientSecret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

export function oauthEvent(
  method: 'GET' | 'POST',
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    body: options.body ?? null,
    isBase64Encoded: false,
    headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { stage: 'test', domainName: 'api.example.test' },
  } as unknown as APIGatewayProxyEvent;
}

export const tokenRequest = (body: string, headers: Record<string, string> = {}): APIGatewayProxyEvent =>
  oauthEvent('POST', '/oauth2/token', { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });
