// Lambda handler of POST /director/graphql (HTTPS and mTLS): the Director GraphQL API.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { directorServices } from '../../shared/director/context';
import { directorEndpoint } from '../../shared/director/endpoint';
import { handleGraphQLRequest } from '../../shared/graphql/endpoint';
import { pairing } from '../../shared/pairing';

// Credential revokers that unpairing and unregistering run: the pairing service revokes every SystemAuth
// (OAuth clients, one-time tokens, certificates) through the adapter of its type.
const endpoint = directorEndpoint(directorServices([pairing]));

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => handleGraphQLRequest(event, endpoint);
