// Calls the Director and OAuth handlers in-process with API Gateway events, as an administrator or a paired application.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler as directorHandler } from '../../../functions/director/handler';
import { handler as oauthHandler } from '../../../functions/oauth/handler';
import { basicAuthorization, tokenRequest } from '../oauth/token-requests';
import { oauthClients } from '../../support/stores';

// The tests check answers field by field against literal expectations, so `data` is typed loosely on purpose.
export interface GraphQLAnswer {
  statusCode: number;
  raw: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: Record<string, any> | null;
  errors?: Array<{ message: string; path?: string[]; extensions: { code: string } }>;
}

function directorEvent(accessToken: string | undefined, query: string, variables: Record<string, unknown>): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/director/graphql',
    resource: '/director/graphql',
    body: JSON.stringify({ query, variables }),
    isBase64Encoded: false,
    headers: {
      Host: 'api.example.test',
      'X-Forwarded-Proto': 'https',
      'Content-Type': 'application/json',
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { stage: 'test', domainName: 'api.example.test', requestId: 'test-request' },
  } as unknown as APIGatewayProxyEvent;
}

/** POST /director/graphql with the access token. */
export async function director(accessToken: string | undefined, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
  const response = await directorHandler(directorEvent(accessToken, query, variables));
  const body = JSON.parse(response.body);
  return { statusCode: response.statusCode, raw: response.body, data: body.data ?? null, errors: body.errors };
}

/** POST /oauth2/token with HTTP Basic client credentials: the status and the parsed body. */
export async function grant(clientId: string, clientSecret: string, scope?: string): Promise<{ statusCode: number; body: Record<string, any> }> {
  const form = `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`;
  const response = await oauthHandler(tokenRequest(form, { Authorization: basicAuthorization(clientId, clientSecret) }));
  return { statusCode: response.statusCode, body: JSON.parse(response.body) };
}

/** An access token for the client; fails the test when the grant is refused. */
export async function accessTokenOf(clientId: string, clientSecret: string, scope?: string): Promise<string> {
  const { statusCode, body } = await grant(clientId, clientSecret, scope);
  if (statusCode !== 200) throw new Error(`token grant refused: ${statusCode} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** A new administrator of the tenant and its access token. */
export async function administrator(tenant: string): Promise<{ clientId: string; accessToken: string }> {
  const admin = await oauthClients.createAdmin(tenant);
  return { clientId: admin.clientId, accessToken: await accessTokenOf(admin.clientId, admin.clientSecret) };
}

/** The one error code of an answer (undefined when it has none). */
export const errorCode = (answer: GraphQLAnswer): string | undefined => answer.errors?.[0]?.extensions.code;

/** The bearer-authentication cache may serve a SystemAuth for up to 1 s: past this, a revocation must show. */
export const BEARER_CACHE_BOUND_MS = 1100;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
