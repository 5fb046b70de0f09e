// Resolver of `viewer`: who is calling, as the caller's own credentials say.
import type { Resolvers } from '../../graphql/schema';
import type { DirectorContext } from '../context';

export interface Viewer {
  id: string;
  type: 'ADMIN' | 'APPLICATION';
  tenant: string;
}

export const viewerResolvers: Resolvers<DirectorContext> = {
  Query: {
    // No scope needed: it tells the caller only what its own credentials already say.
    viewer: (_root: unknown, _args: unknown, { caller }: DirectorContext): Viewer =>
      caller.kind === 'ADMIN'
        ? { id: caller.clientId, type: 'ADMIN', tenant: caller.tenant }
        : { id: caller.appId, type: 'APPLICATION', tenant: caller.tenant },
  },
};
