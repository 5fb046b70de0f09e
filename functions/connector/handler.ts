// The `connector` Lambda: POST /connector/graphql (token-secured pairing, and certificate-secured over mTLS).
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handleConnectorRequest } from '../../shared/connector/endpoint';
import { logger } from '../../shared/logger';

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  // Every log line of this invocation carries the Lambda request id.
  if (context) logger.addContext(context);
  return handleConnectorRequest(event);
};
