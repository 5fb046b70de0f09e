// Lambda handler of Cockpit, the administrator's page: GET /cockpit and its files below /cockpit/, and GET /health (no AWS access).
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
// Built at bundle time from cockpit/web (cockpit/esbuild-plugins.cjs): the page travels inside this bundle.
import assets from 'cockpit-assets';
import { handoffSettings, serveCockpit } from '../../shared/cockpit/site';
import { HEALTH_PATH, healthResponse } from '../../shared/health';
import { logger } from '../../shared/logger';

export async function handler(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  if (context) logger.addContext(context);
  // The function with no AWS access answers the health check: it costs nothing and touches no data.
  if (event.httpMethod === 'GET' && (event.resource || event.path) === HEALTH_PATH) return healthResponse();
  return serveCockpit(event, assets, handoffSettings());
}
