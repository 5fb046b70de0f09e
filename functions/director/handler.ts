// Lambda handler of POST /director/graphql (HTTPS and mTLS): the Director GraphQL API.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { directorServices } from '../../shared/director/context';
import { directorEndpoint } from '../../shared/director/endpoint';
import { handleGraphQLRequest } from '../../shared/graphql/endpoint';
import { logger } from '../../shared/logger';
import { pairing } from '../../shared/pairing';

// Credential revokers that unpairing and unregistering run: the pairing service revokes every SystemAuth
// (OAuth clients, one-time tokens, certificates) through the adapter of its type.
const endpoint = directorEndpoint(directorServices([pairing]));

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  // Every log line of this invocation carries the Lambda request id.
  if (context) logger.addContext(context);
  return handleGraphQLRequest(event, endpoint);
};
