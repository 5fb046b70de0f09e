// The Director's side of the audit trail: who the caller is in an event, and the auditEvents resolvers.
import type { Application } from '../applications/types';
import type { Caller } from '../auth/caller';
import type { AuditRecorder } from '../audit/recorder';
import type { AuditAction, AuditActor, AuditEventFilter, CallerTrail } from '../audit/types';
import { RevocationIncompleteError } from '../pairing/service';
import type { Resolvers } from '../graphql/schema';
import { requireScope, SCOPE_READ } from './authorization';
import type { DirectorContext } from './context';
import { ForbiddenError } from '../errors';

/** The caller as an audit event's actor. */
export function actorOf(caller: Caller): AuditActor {
  if (caller.kind === 'ADMIN') return { kind: 'ADMINISTRATOR', id: caller.clientId };
  return { kind: 'APPLICATION', id: caller.systemAuthId, via: caller.via };
}

/** The request's audit trail on behalf of the caller, for what a change it asked for leads to (CallerTrail). */
export function callerTrail(audit: Pick<AuditRecorder, 'record'>, caller: Caller): CallerTrail {
  return {
    record: async (event) => {
      await audit.record({ ...event, tenant: caller.tenant, actor: actorOf(caller) });
    },
  };
}

/**
 * Runs an unpair or unregister and records it FAILED when its revocations were cut short (some credentials are
 * revoked, the application is unchanged; a retry finishes). Success is recorded by the caller, as for every change.
 */
export async function recordingIncompleteRevocation<T>(
  audit: Pick<AuditRecorder, 'record'>,
  caller: Caller,
  action: Extract<AuditAction, 'APPLICATION_UNPAIRED' | 'APPLICATION_UNREGISTERED'>,
  appId: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RevocationIncompleteError) {
      await audit.record({
        tenant: caller.tenant, action, outcome: 'FAILED', actor: actorOf(caller), target: { applicationId: appId },
        reason: 'revocation incomplete', details: { failedSystemAuthIds: error.failedSystemAuthIds },
      });
    }
    throw error;
  }
}

interface AuditArgs {
  first?: number | null;
  after?: string | null;
  filter?: AuditEventFilter | null;
}

/** Reading the trail is for the tenant's administrators: an application sees nothing of it, not even its own events. */
function requireAuditReader(caller: Caller): void {
  if (caller.kind !== 'ADMIN') throw new ForbiddenError('Only administrators may read the audit trail');
  requireScope(caller, SCOPE_READ);
}

export const auditResolvers: Resolvers<DirectorContext> = {
  Query: {
    auditEvents: (_root: unknown, args: AuditArgs, { caller, auditReader }: DirectorContext) => {
      requireAuditReader(caller);
      return auditReader.list(caller.tenant, args);
    },
  },
  Application: {
    auditEvents: (app: Application, args: AuditArgs, { caller, auditReader }: DirectorContext) => {
      requireAuditReader(caller);
      // Only reached for applications of the caller's tenant; the tenant is the caller's either way.
      return auditReader.list(caller.tenant, { ...args, filter: { ...(args.filter ?? {}), applicationId: app.id } });
    },
  },
  AuditActor: {
    id: (actor: AuditActor) => ('id' in actor ? (actor.id ?? null) : null),
    via: (actor: AuditActor) => (actor.kind === 'APPLICATION' ? actor.via : null),
    certificateFingerprint: (actor: AuditActor) => (actor.kind === 'APPLICATION' ? (actor.certificateFingerprint ?? null) : null),
  },
};
