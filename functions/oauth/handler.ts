// Lambda handler of the OAuth 2.0 server: the token endpoint and the two discovery documents.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { jsonResponse } from '../../shared/http';
import { logger } from '../../shared/logger';
import { handleJwksRequest, handleMetadataRequest, JWKS_PATH, METADATA_PATH, TOKEN_PATH } from '../../shared/oauth/metadata';
import { handleTokenRequest } from '../../shared/oauth/token-endpoint';

export async function handler(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  if (context) logger.addContext(context);
  switch (event.resource || event.path) {
    case TOKEN_PATH:
      return handleTokenRequest(event);
    case METADATA_PATH:
      return handleMetadataRequest(event);
    case JWKS_PATH:
      return handleJwksRequest();
    default:
      return jsonResponse(404, { error: 'not_found' });
  }
}
