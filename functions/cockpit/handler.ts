// Lambda handler of Cockpit, the administrator's page: GET /cockpit and its files below /cockpit/ (no AWS access).
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
// Built at bundle time from cockpit/web (cockpit/esbuild-plugins.cjs): the page travels inside this bundle.
import assets from 'cockpit-assets';
import { serveCockpit } from '../../shared/cockpit/site';
import { logger } from '../../shared/logger';

export async function handler(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  if (context) logger.addContext(context);
  return serveCockpit(event, assets);
}
