// GET /health: that the API and its functions answer, and which version of the service runs; nothing else, unauthenticated.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { version } from '../package.json';
import { jsonResponse } from './http';

export const HEALTH_PATH = '/health';

/** For load balancers, monitors and the pairing agent: no AWS call, so it says the API is reachable, not that AWS is well. */
export function healthResponse(): APIGatewayProxyResult {
  return jsonResponse(200, { status: 'ok', version });
}
