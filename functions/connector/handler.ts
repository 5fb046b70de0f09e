// The `connector` Lambda: POST /connector/graphql (token-secured pairing; API Gateway proxy event).
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { handleConnectorRequest } from '../../shared/connector/endpoint';

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => handleConnectorRequest(event);
