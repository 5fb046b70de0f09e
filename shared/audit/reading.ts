// AuditReader, the audit trail's reader: a tenant's events (or one application's), newest first, filtered, in pages with opaque cursors.
import { BadUserInputError } from '../errors';
import { isServiceId, quotedId } from '../ids';
import { AuditRepository, type AuditCount, type AuditQuery } from './repository';
import { DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, type AuditEventFilter, type AuditEventPage } from './types';

const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f-]{36}$/;
const MAX_CURSOR_LENGTH = 256;

// Like the applications' cursor, the tenant is not in it: it always comes from the caller.
const encodeCursor = (sortKey: string): string => Buffer.from(JSON.stringify({ k: sortKey }), 'utf8').toString('base64url');

function decodeCursor(text: string): string {
  const invalid = () => new BadUserInputError('after: is not a cursor returned by auditEvents (use pageInfo.endCursor)');
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  try {
    const { k } = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof k === 'string' && SORT_KEY.test(k)) return k;
  } catch {
    // falls through to the refusal
  }
  throw invalid();
}

function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_AUDIT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_AUDIT_PAGE_SIZE) {
    throw new BadUserInputError(`first: must be an integer from 1 to ${MAX_AUDIT_PAGE_SIZE}, got ${first}`);
  }
  return first;
}

function isoTime(field: string, value: string): string {
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at)) {
    throw new BadUserInputError(`filter.${field}: must be an ISO 8601 date-time such as 2026-11-29T08:00:00Z, got ${quotedId(value)}`, {
      violations: [{ field: `filter.${field}`, message: 'not an ISO 8601 date-time' }],
    });
  }
  return new Date(at).toISOString();
}

export interface AuditListOptions {
  first?: number | null;
  after?: string | null;
  filter?: AuditEventFilter | null;
}

/** The Director's reading of the trail. Every read is of the caller's tenant: the tenant is the partition key. */
export class AuditReader {
  constructor(private readonly repository: Pick<AuditRepository, 'query' | 'count'>) {}

  async list(tenant: string, options: AuditListOptions = {}): Promise<AuditEventPage> {
    const first = pageSize(options.first);
    const filter = options.filter ?? {};
    const query: AuditQuery = { tenant };
    if (filter.applicationId !== undefined && filter.applicationId !== null) {
      // Application ids are UUIDs: anything else names no application, and its trail is empty.
      if (!isServiceId(filter.applicationId)) return { data: [], totalCount: async () => 0, totalCountExact: async () => true, pageInfo: { hasNextPage: false, endCursor: null } };
      query.applicationId = filter.applicationId;
    }
    if (filter.from) query.fromKey = isoTime('from', filter.from);
    if (filter.to) query.toKey = isoTime('to', filter.to);
    if (query.fromKey && query.toKey && query.fromKey > query.toKey) {
      throw new BadUserInputError('filter: from is after to', { violations: [{ field: 'filter.from', message: 'after filter.to' }] });
    }
    if (filter.actions?.length) query.actions = filter.actions;
    if (filter.outcomes?.length) query.outcomes = filter.outcomes;
    const beforeKey = options.after == null ? undefined : decodeCursor(options.after);
    const page = await this.repository.query({ ...query, beforeKey }, first);
    // Counted only when a client asks for totalCount or totalCountExact, once for both.
    let counted: Promise<AuditCount> | undefined;
    const count = () => (counted ??= this.repository.count(query));
    return {
      data: page.events,
      totalCount: async () => (await count()).count,
      totalCountExact: async () => (await count()).exact,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endKey ? encodeCursor(page.endKey) : null },
    };
  }
}
