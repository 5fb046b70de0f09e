// Resolvers of applications: register, update, read, list, unregister, and an application's SystemAuths.
import type { Application, ApplicationPage } from '../../applications/types';
import { cursorOf, pageSize, type ApplicationService } from '../../applications/service';
import { decodeCursor } from '../../applications/cursor';
import type { RawApplicationInput } from '../../applications/validation';
import type { Caller } from '../../auth/caller';
import { NotFoundError } from '../../errors';
import type { Resolvers } from '../../graphql/schema';
import type { AppSystemAuth } from '../../pairing/app-system-auth';
import { actorOf, callerTrail, recordingIncompleteRevocation } from '../audit';
import { SCOPE_AUTHS_READ, SCOPE_READ, canSeeApplication, requireAdministrator, requireScope } from '../authorization';
import type { DirectorContext } from '../context';

interface IdArgs {
  id: string;
}

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** What an Application caller gets from `applications`: a page holding itself, the only application it can see. */
async function ownApplicationPage(
  caller: Extract<Caller, { kind: 'APPLICATION' }>,
  applications: ApplicationService,
  args: PageArgs,
): Promise<ApplicationPage> {
  // Arguments are checked as for administrators, so a bad `first` or cursor is BAD_USER_INPUT here too.
  pageSize(args.first);
  const after = args.after == null ? undefined : decodeCursor(args.after);
  const own = await applications.get(caller.tenant, caller.appId);
  // The single application is always on the first page; any page after a cursor is empty.
  const data = own && !after ? [own] : [];
  return {
    data,
    totalCount: own ? 1 : 0,
    pageInfo: { hasNextPage: false, endCursor: data.length ? cursorOf(data[0]) : null },
  };
}

export const applicationResolvers: Resolvers<DirectorContext> = {
  Query: {
    applications: async (_root: unknown, args: PageArgs, context: DirectorContext) => {
      const { caller } = context;
      requireScope(caller, SCOPE_READ);
      if (caller.kind === 'APPLICATION') return ownApplicationPage(caller, context.applications, args);
      return context.applications.list(caller.tenant, args);
    },
    application: async (_root: unknown, { id }: IdArgs, { caller, applications }: DirectorContext) => {
      requireScope(caller, SCOPE_READ);
      if (!canSeeApplication(caller, id)) return null;
      return (await applications.get(caller.tenant, id)) ?? null;
    },
  },
  Mutation: {
    registerApplication: (_root: unknown, args: { in: RawApplicationInput }, { caller, applications, audit }: DirectorContext) => {
      requireAdministrator(caller);
      // The event is part of the registration's transaction: no application without its record, and no record without it.
      return applications.register(caller.tenant, args.in, (app) => ({
        auditEvent: audit.inTransaction({
          tenant: caller.tenant, action: 'APPLICATION_REGISTERED', outcome: 'SUCCESS', actor: actorOf(caller),
          target: { applicationId: app.id }, details: { name: app.name },
        }),
      }));
    },
    updateApplication: async (_root: unknown, args: IdArgs & { in: RawApplicationInput }, { caller, applications, audit }: DirectorContext) => {
      requireAdministrator(caller);
      const app = await applications.update(caller.tenant, args.id, args.in);
      await audit.record({
        tenant: caller.tenant, action: 'APPLICATION_UPDATED', outcome: 'SUCCESS', actor: actorOf(caller),
        target: { applicationId: app.id }, details: { fields: Object.keys(args.in ?? {}).sort() },
      });
      return app;
    },
    unregisterApplication: (_root: unknown, { id }: IdArgs, { caller, applications, audit }: DirectorContext) => {
      requireAdministrator(caller);
      return recordingIncompleteRevocation(audit, caller, 'APPLICATION_UNREGISTERED', id, () =>
        applications.unregister(caller.tenant, id, callerTrail(audit, caller), (app) => ({
          auditEvent: audit.inTransaction({
            tenant: caller.tenant, action: 'APPLICATION_UNREGISTERED', outcome: 'SUCCESS', actor: actorOf(caller),
            target: { applicationId: app.id }, details: { name: app.name },
          }),
        })),
      );
    },
  },
  Application: {
    auths: async (app: Application, _args: unknown, { caller, systemAuthsOf, pairing, publicBaseUrl }: DirectorContext): Promise<AppSystemAuth[]> => {
      requireScope(caller, SCOPE_AUTHS_READ);
      // Resolvers above only hand out applications the caller may see; this guards any future path that does not.
      if (app.tenant !== caller.tenant || !canSeeApplication(caller, app.id)) throw new NotFoundError(`application ${app.id} not found`);
      const auths = await systemAuthsOf(caller.tenant, app.id);
      // Never a secret here: toAppSystemAuth without one answers clientSecret null.
      return auths.map((auth) => pairing.toAppSystemAuth(auth, { publicBaseUrl }));
    },
  },
};
