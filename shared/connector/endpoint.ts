// The Connector's GraphQL endpoint: schema, context, and HTTP 401 for credentials found spent while the request ran.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { GraphQLSchema } from 'graphql';
import { handleGraphQLRequest } from '../graphql/endpoint';
import { errorBody } from '../graphql/errors';
import { buildExecutableSchema } from '../graphql/schema';
import { jsonResponse } from '../http';
import { connectorContext, type ConnectorContext, type ConnectorServices } from './context';
import { connectorResolvers } from './resolvers';
import { connectorSdl } from './schema';

let schema: GraphQLSchema | undefined;

/** The Connector schema with its resolvers, built once per process. */
export function connectorSchema(): GraphQLSchema {
  schema ??= buildExecutableSchema(connectorSdl, connectorResolvers);
  return schema;
}

/**
 * Serves one Connector request. A token can only be spent inside the resolvers (atomically, by a
 * conditional write), so the losers of a race learn that it was spent while running; for the client
 * that is the same as a token already spent before the request, and it gets the same HTTP 401.
 */
export async function handleConnectorRequest(event: APIGatewayProxyEvent, services: ConnectorServices): Promise<APIGatewayProxyResult> {
  let context: ConnectorContext | undefined;
  const response = await handleGraphQLRequest(event, {
    schema: connectorSchema(),
    context: async (e) => (context = await connectorContext(e, services)),
    errorMetric: 'ConnectorErrors',
  });
  if (context?.refusal) return jsonResponse(401, errorBody('UNAUTHENTICATED', context.refusal.message));
  return response;
}
