// The Director's log lines carry the Lambda request id of their invocation (Powertools context).
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { handler } from '../../../functions/director/handler';
import { ADMIN_SCOPES } from '../../../shared/scopes';
import { logger } from '../../../shared/logger';
import { issueAccessToken } from '../../../shared/oauth/access-tokens';
import { freshTenant } from '../../support/local-aws';
import { oauthClients } from '../../support/stores';
import { config } from '../../../shared/config';
import { accessTokenSigner } from '../../../functions/container';

function lambdaContext(awsRequestId: string): Context {
  return {
    awsRequestId,
    functionName: 'pairing-service-test-director',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:pairing-service-test-director',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/pairing-service-test-director',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 10000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function call(token: string, query: string, variables: Record<string, unknown>, awsRequestId: string) {
  const event = {
    httpMethod: 'POST',
    path: '/director/graphql',
    body: JSON.stringify({ query, variables }),
    isBase64Encoded: false,
    headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', Authorization: `Bearer ${token}` },
    requestContext: { stage: 'test', domainName: 'api.example.test', requestId: randomUUID() },
  } as unknown as APIGatewayProxyEvent;
  return JSON.parse((await handler(event, lambdaContext(awsRequestId))).body);
}

test('log lines of a Director invocation carry its Lambda request id and no secret', async () => {
  const tenant = freshTenant();
  const admin = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: [...ADMIN_SCOPES] });
  const token = (await issueAccessToken(accessTokenSigner, admin.systemAuth, admin.systemAuth.scopes, 'https://api.example.test', config())).accessToken;
  const registered = await call(token, 'mutation($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }', { in: { name: `log-${randomUUID().slice(0, 8)}` } }, randomUUID());
  const appId = registered.data.registerApplication.id as string;

  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  logger.setLogLevel('INFO');
  const requestId = `req-${randomUUID()}`;
  let paired;
  try {
    paired = await call(
      token,
      'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }',
      { id: appId },
      requestId,
    );
  } finally {
    logger.setLogLevel('WARN');
    write.mockRestore();
  }

  const secret = paired.data.generateAuthForApplication.params.clientSecret as string;
  const entries = lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const pairedLine = entries.find((entry) => entry.message === 'application paired');
  expect(pairedLine).toMatchObject({ function_request_id: requestId, tenant, appId });
  expect(lines.join('')).not.toContain(secret);
  expect(lines.join('')).not.toContain(token);
});
