// The CallerTrail of tests whose revocations must lead to nothing further in the audit trail (the built-in types):
// any event recorded through it fails the test.
import type { CallerTrail } from '../../shared/audit/types';

export const noFollowUps: CallerTrail = {
  record: async (event) => {
    throw new Error(`a revocation recorded ${event.action} (${event.outcome}) through the caller's trail: none was expected`);
  },
};

/** A CallerTrail that keeps what it is given, for tests of what a revocation leads to. */
export function keptTrail(): CallerTrail & { events: Parameters<CallerTrail['record']>[0][] } {
  const events: Parameters<CallerTrail['record']>[0][] = [];
  return { events, record: async (event) => void events.push(event) };
}
