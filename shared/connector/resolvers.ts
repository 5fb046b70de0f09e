// The Connector's GraphQL resolvers: arguments in, the Connector service, results out.
import type { Resolvers } from '../graphql/schema';
import type { ConnectorContext } from './context';

export const connectorResolvers: Resolvers<ConnectorContext> = {
  Query: {
    // Memoized per request: a query naming `configuration` twice (aliases) spends the token once.
    configuration: (_source, _args, context: ConnectorContext) =>
      (context.configuration ??= context.refuseWhenSpent(context.connector.configuration(context.caller))),
  },
  Mutation: {
    signCertificateSigningRequest: (_source, args: { csr: string }, context: ConnectorContext) =>
      context.refuseWhenSpent(context.connector.signCertificateSigningRequest(context.caller, args.csr)),
    revokeCertificate: (_source, _args, context: ConnectorContext) =>
      context.refuseWhenSpent(context.connector.revokeCertificate(context.caller)),
    retirePreviousCertificate: (_source, _args, context: ConnectorContext) =>
      context.refuseWhenSpent(context.connector.retirePreviousCertificate(context.caller)),
  },
};
