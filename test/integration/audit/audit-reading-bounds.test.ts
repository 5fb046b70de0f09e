// Reading the audit trail costs a bounded number of DynamoDB calls per page, against DynamoDB Local: a filter that
// matches rarely answers a partly filled page with a cursor instead of reading the whole partition in tiny pages.
import { AuditReader } from '../../../shared/audit/reading';
import { AuditRepository, MAX_AUDIT_READS_PER_PAGE } from '../../../shared/audit/repository';
import type { AuditEvent } from '../../../shared/audit/types';
import { freshTenant } from '../../support/local-aws';
import { config } from '../../../shared/config';
import { aws } from '../../../functions/container';

const repository = new AuditRepository(aws.dynamo, config().auditTable);
const auditReader = new AuditReader(repository);

/** Counts the DynamoDB Query calls of the shared client, COUNT queries apart. */
const calls = { queries: 0, counts: 0 };
beforeAll(() => {
  aws.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') {
        if ((args.input as { Select?: string }).Select === 'COUNT') calls.counts += 1;
        else calls.queries += 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'auditReadCounter' },
  );
});
afterAll(() => aws.dynamo.middlewareStack.remove('auditReadCounter'));
const resetCalls = () => Object.assign(calls, { queries: 0, counts: 0 });

/** `total` events of a new tenant, one second apart; the oldest is CA_RETIRED, every other one APPLICATION_REGISTERED. */
async function trailOf(total: number): Promise<{ tenant: string; oldest: AuditEvent }> {
  const tenant = freshTenant('audit-bounds');
  const start = Date.parse('2026-12-01T00:00:00.000Z');
  const events = Array.from({ length: total }, (_, i): AuditEvent => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    time: new Date(start + i * 1000).toISOString(),
    tenant,
    action: i === 0 ? 'CA_RETIRED' : 'APPLICATION_REGISTERED',
    outcome: 'SUCCESS',
    actor: { kind: 'CLI' },
    target: {},
    details: {},
    count: 1,
  }));
  for (let i = 0; i < events.length; i += 25) {
    await Promise.all(events.slice(i, i + 25).map((event) => repository.append(event, Math.floor(start / 1000) + 86_400)));
  }
  return { tenant, oldest: events[0]! };
}

describe('auditEvents with a filter that matches rarely', () => {
  let trail: { tenant: string; oldest: AuditEvent };
  beforeAll(async () => {
    trail = await trailOf(406);
  });

  it('reads at most MAX_AUDIT_READS_PER_PAGE times per page, answers a partial page with a cursor, and the cursor reaches the match', async () => {
    const filter = { actions: ['CA_RETIRED' as const] };
    const pages: Array<{ ids: string[]; hasNextPage: boolean; queries: number }> = [];
    let after: string | null = null;
    do {
      resetCalls();
      const page = await auditReader.list(trail.tenant, { first: 1, filter, after });
      pages.push({ ids: page.data.map((event) => event.id), hasNextPage: page.pageInfo.hasNextPage, queries: calls.queries });
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      if (page.pageInfo.hasNextPage) expect(page.pageInfo.endCursor).toEqual(expect.any(String));
    } while (after && pages.length < 10);
    // Before the bound, the first page alone made 204 reads of 2 items each.
    for (const page of pages) expect(page.queries).toBeLessThanOrEqual(MAX_AUDIT_READS_PER_PAGE);
    expect(pages[0]).toEqual({ ids: [], hasNextPage: true, queries: MAX_AUDIT_READS_PER_PAGE });
    expect(pages.flatMap((page) => page.ids)).toEqual([trail.oldest.id]);
    expect(pages.at(-1)!.hasNextPage).toBe(false);
  });

  it('counts only when totalCount is asked for, once for both count fields, and exactly for a small trail', async () => {
    resetCalls();
    const page = await auditReader.list(trail.tenant, { first: 5, filter: { actions: ['CA_RETIRED'] } });
    expect(calls.counts).toBe(0);
    expect(await Promise.all([page.totalCount(), page.totalCountExact()])).toEqual([1, true]);
    expect(calls.counts).toBe(1);
  });

  it('reads an unfiltered page in one call of the page size + 1', async () => {
    resetCalls();
    const page = await auditReader.list(trail.tenant, { first: 50 });
    expect(page.data).toHaveLength(50);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(calls.queries).toBe(1);
    const next = await auditReader.list(trail.tenant, { first: 50, after: page.pageInfo.endCursor });
    expect(next.data[0]!.time < page.data.at(-1)!.time).toBe(true);
  });
});
