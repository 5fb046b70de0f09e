// The request an audit event comes from (request id, source IP, user agent), taken once from the API Gateway event
// and carried through the asynchronous work of that request, so that no service signature has to pass it along.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditRequestFacts } from './types';

interface GatewayEventLike {
  headers?: Record<string, string | undefined> | null;
  requestContext?: { requestId?: string; identity?: { sourceIp?: string | null; userAgent?: string | null } | null } | null;
}

/** Long enough for any real user agent; a 10 kB header is not kept in full. */
const MAX_USER_AGENT_LENGTH = 256;

/**
 * The facts API Gateway writes into the request context (never a client's X-Forwarded-For: anyone can send that;
 * API Gateway's `identity.sourceIp` is the address the connection came from).
 */
function requestFactsOf(event: unknown): AuditRequestFacts {
  const context = (event as GatewayEventLike | undefined)?.requestContext ?? undefined;
  const facts: AuditRequestFacts = {};
  if (typeof context?.requestId === 'string' && context.requestId) facts.requestId = context.requestId;
  const identity = context?.identity ?? undefined;
  if (typeof identity?.sourceIp === 'string' && identity.sourceIp) facts.sourceIp = identity.sourceIp;
  if (typeof identity?.userAgent === 'string' && identity.userAgent) facts.userAgent = identity.userAgent.slice(0, MAX_USER_AGENT_LENGTH);
  return facts;
}

const current = new AsyncLocalStorage<AuditRequestFacts>();

/** Runs the handling of one API Gateway event with its request facts available to the audit trail. */
export function withAuditRequest<T>(event: unknown, work: () => Promise<T>): Promise<T> {
  return current.run(requestFactsOf(event), work);
}

/** The facts of the request being handled; empty outside one (the admin CLI, the tokens function). */
export function currentAuditRequest(): AuditRequestFacts {
  return current.getStore() ?? {};
}
