// The Director's GraphQL endpoint: its executable schema and how a request becomes a DirectorContext.
import type { GraphQLSchema } from 'graphql';
import type { GraphQLEndpoint } from '../graphql/endpoint';
import { buildExecutableSchema } from '../graphql/schema';
import { directorContext, type DirectorContext, type DirectorServices } from './context';
import { directorResolvers } from './resolvers';
import { directorSdl } from './schema';

let schema: GraphQLSchema | undefined;

/** The Director schema with its resolvers, built once per process. */
export function directorSchema(): GraphQLSchema {
  schema ??= buildExecutableSchema(directorSdl, directorResolvers);
  return schema;
}

export function directorEndpoint(services: DirectorServices): GraphQLEndpoint<DirectorContext> {
  return { schema: directorSchema(), context: (event) => directorContext(event, services), errorMetric: 'DirectorErrors' };
}
