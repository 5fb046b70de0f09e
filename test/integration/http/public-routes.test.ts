// The unauthenticated GET routes: the Director's and the Connector's SDL through their handlers (the contract the schema test
// checks), and /health's answer (status and version only; the cockpit handler serving it needs its bundle, so npm start's tests reach it).
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler as connector } from '../../../functions/connector/handler';
import { handler as director } from '../../../functions/director/handler';
import { connectorSdl } from '../../../shared/connector/schema';
import { directorSdl } from '../../../shared/director/schema';
import { healthResponse } from '../../../shared/health';
import packageJson from '../../../package.json';

const get = (path: string) =>
  ({ httpMethod: 'GET', resource: path, path, headers: { Host: 'api.example.test' }, requestContext: { stage: 'test', requestId: 'r-1' } }) as unknown as APIGatewayProxyEvent;

test.each([
  ['/director/schema.graphql', director, directorSdl],
  ['/connector/schema.graphql', connector, connectorSdl],
])('GET %s answers the SDL the endpoint executes, as text, with no credentials', async (path, handler, sdl) => {
  const response = await handler(get(path));
  expect(response.statusCode).toBe(200);
  expect(response.body).toBe(sdl);
  expect(response.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });
});

test('/health answers the status and the version, nothing else, never cached', () => {
  const response = healthResponse();
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ status: 'ok', version: packageJson.version });
  expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
});
