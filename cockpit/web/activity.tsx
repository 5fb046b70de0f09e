// The audit trail on the page: the tenant's Activity view, and the same list on an application's page.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ErrorText } from './controls';
import { actionName, actorName, eventIds, outcomeDetail, targetName, type AuditNames } from './audit-labels';
import { formatTime } from './format';
import { AUDIT_NAMES, LIST_AUDIT_EVENTS, type AuditEventPage, type AuditNamesAnswer, type AuditOutcome } from './queries';
import { useDirectorQuery } from './session';

export const AUDIT_PAGE_SIZE = 20;

const OUTCOMES: readonly AuditOutcome[] = ['SUCCESS', 'REFUSED', 'FAILED'];

interface AuditTrailProps {
  /** One application's events; the whole tenant's without. */
  appId?: string;
  /** A value that changes when the caller changed something: the first page is read again. */
  refresh?: unknown;
}

/** Events newest first, a page at a time, filtered by outcome; refused and failed events are marked. */
export function AuditTrail({ appId, refresh }: AuditTrailProps) {
  const [outcome, setOutcome] = useState<AuditOutcome | ''>('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const filter: Record<string, unknown> = {};
  if (appId) filter.applicationId = appId;
  if (outcome) filter.outcomes = [outcome];
  const list = useDirectorQuery<AuditEventPage>(LIST_AUDIT_EVENTS, { first: AUDIT_PAGE_SIZE, after: cursors[cursors.length - 1], filter });
  const reload = list.reload;
  // Names instead of ids; until they are read (or if reading fails) the rows show short ids.
  const known = useDirectorQuery<AuditNamesAnswer>(AUDIT_NAMES, {});
  const reloadNames = known.reload;
  const names = useMemo<AuditNames>(() => {
    const applications = new Map<string, string>();
    const credentials = new Map<string, { application: string; credentialNoun: string }>();
    const nouns = new Map((known.loaded?.data.authTypes ?? []).map((type) => [type.type, type.presentation.credentialNoun]));
    for (const app of known.loaded?.data.applications.data ?? []) {
      applications.set(app.id, app.name);
      // A type the Director no longer offers reads as its API name.
      for (const auth of app.auths) credentials.set(auth.id, { application: app.name, credentialNoun: nouns.get(auth.type) ?? auth.type });
    }
    return { applications, credentials };
  }, [known.loaded]);
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (cursors.length === 1) void reload();
    else setCursors([null]);
    void reloadNames();
  }, [refresh]);

  const pageIndex = list.loaded ? cursors.indexOf(list.loaded.variables.after as string | null) : -1;
  const page = pageIndex >= 0 && JSON.stringify(list.loaded?.variables.filter) === JSON.stringify(filter) ? list.loaded?.data.auditEvents : undefined;
  const firstShown = pageIndex * AUDIT_PAGE_SIZE + 1;
  const turnTo = (index: number, endCursor: string | null) => () =>
    setCursors(index > pageIndex ? [...cursors.slice(0, pageIndex + 1), endCursor] : cursors.slice(0, index + 1));
  const selectId = appId ? 'app-audit-outcome' : 'audit-outcome';

  return (
    <div data-testid="audit-trail">
      <div class="field audit-filter">
        <label for={selectId}>Outcome</label>
        <select
          id={selectId}
          data-testid="audit-outcome"
          value={outcome}
          onChange={(event) => {
            setOutcome(event.currentTarget.value as AuditOutcome | '');
            setCursors([null]);
          }}
        >
          <option value="">All outcomes</option>
          {OUTCOMES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </div>
      <ErrorText message={list.error} testId="audit-error" />
      {!page && !list.error && <p role="status">Loading…</p>}
      {page && page.data.length === 0 && <p data-testid="audit-empty">No events{outcome ? ` with outcome ${outcome}` : ''}.</p>}
      {page && page.data.length > 0 && (
        <div class="table-scroll">
          <table class="audit">
            <colgroup>
              <col class="audit-time" />
              <col class="audit-actor" />
              <col class="audit-action" />
              <col class="audit-outcome" />
              <col class="audit-target" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Target</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((event) => (
                <tr key={event.id} data-testid="audit-row" data-action={event.action} data-outcome={event.outcome} class={event.outcome === 'SUCCESS' ? undefined : 'refused'}>
                  <td>{formatTime(event.time)}</td>
                  <td title={event.actor.id ?? undefined} data-id={event.actor.id ?? undefined}>
                    {actorName(event.actor, names)}
                  </td>
                  <td>{actionName(event.action, event.details)}</td>
                  <td>
                    <span class={`badge ${event.outcome.toLowerCase()}`}>{event.outcome}</span>
                    {outcomeDetail(event) && <span class="audit-reason"> {outcomeDetail(event)}</span>}
                  </td>
                  <td title={eventIds({ actor: { ...event.actor, id: null }, target: event.target }) || undefined}>{targetName(event.target, names)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && (
        <nav class="pager" aria-label={appId ? 'Pages of the application’s events' : 'Pages of events'}>
          <span data-testid="audit-range">
            {page.data.length === 0 ? `0 of ${page.totalCount}` : `${firstShown}–${firstShown + page.data.length - 1} of ${page.totalCount}`}
          </span>
          <button type="button" data-testid="audit-previous" disabled={list.loading || pageIndex === 0} onClick={turnTo(pageIndex - 1, null)}>
            Previous
          </button>
          <button type="button" data-testid="audit-next" disabled={list.loading || !page.pageInfo.hasNextPage} onClick={turnTo(pageIndex + 1, page.pageInfo.endCursor)}>
            Next
          </button>
        </nav>
      )}
    </div>
  );
}

/** `#/activity`: the tenant's whole audit trail. */
export function Activity() {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = 'Activity · Cockpit';
    heading.current?.focus();
  }, []);
  return (
    <main data-testid="activity">
      <h2 ref={heading} tabIndex={-1}>
        Activity
      </h2>
      <p class="lead">Every change and every refused credential in your tenant, newest first. Repeated refusals (the same caller, action and reason within a minute) are grouped: the first gets a line at once,
        the repeats a line with their count each time the minute's total doubles and when the minute ends, so the counts of a
        burst's lines add up to its refusals (at least half of them while the burst is still going on).</p>
      <AuditTrail />
    </main>
  );
}
