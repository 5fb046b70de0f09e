// Lambda handler of POST /director/graphql (HTTPS and mTLS): the Director GraphQL API.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { directorServices } from '../../shared/director/context';
import { directorEndpoint } from '../../shared/director/endpoint';
import { handleGraphQLRequest } from '../../shared/graphql/endpoint';

// Credential revokers (OAuth clients, one-time tokens, certificates) that unregistering runs are listed here.
const endpoint = directorEndpoint(directorServices([]));

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => handleGraphQLRequest(event, endpoint);
