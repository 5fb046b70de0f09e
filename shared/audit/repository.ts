// DynamoDB storage of audit events (the audit table): the only code that names it. Append-only: every write is a
// PutItem (alone or inside a transaction) conditional on the key being new; nothing here updates or deletes.
import { PutCommand, QueryCommand, type NativeAttributeValue, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../aws/transactions';
import type { AuditEvent } from './types';

type Item = Record<string, NativeAttributeValue>;

/** The sort key of an event: time first, so a Query reads newest first; the id makes it unique. */
const sortKeyOf = (event: Pick<AuditEvent, 'time' | 'id'>): string => `${event.time}#${event.id}`;

/** The byApplication partition of an application's events. */
const applicationKeyOf = (tenant: string, appId: string): string => `${tenant}#${appId}`;

export interface AuditQuery {
  tenant: string;
  /** Reads the byApplication index instead of the tenant's whole trail. */
  applicationId?: string;
  /** Inclusive sort-key bounds (ISO times; the upper one already extended past every id). */
  fromKey?: string;
  toKey?: string;
  /** Continue below this sort key (exclusive). */
  beforeKey?: string;
  actions?: readonly string[];
  outcomes?: readonly string[];
}

export interface AuditQueryPage {
  events: AuditEvent[];
  hasNextPage: boolean;
  /** Where the next page starts (below this sort key): the last event given, or the last one read when the read budget ended first. */
  endKey?: string;
}

export interface AuditCount {
  count: number;
  /** False when the read budget ended before the partition did: `count` is then a lower bound. */
  exact: boolean;
}

/**
 * DynamoDB Query calls one page of the trail may make. The action and outcome filters are applied by DynamoDB after
 * the read, so a page of rare events can need many reads; past this budget the page is answered partly filled, with a
 * cursor where the reading stopped and hasNextPage true. A request's DynamoDB calls are then bounded by its
 * auditEvents fields, which the GraphQL cost limit bounds.
 */
export const MAX_AUDIT_READS_PER_PAGE = 4;
/** Items one filtered read asks for (at least the page size + 1): a rare event is found in a few reads, not hundreds. */
const FILTERED_AUDIT_READ_SIZE = 100;
/** DynamoDB COUNT calls (each reads up to 1 MB, thousands of events) of one totalCount. */
const MAX_AUDIT_COUNT_READS = 8;

function toItem(event: AuditEvent, expiresAt: number): Item {
  const item: Item = { ...event, sk: sortKeyOf(event), expiresAt };
  if (event.target.applicationId) item.appKey = applicationKeyOf(event.tenant, event.target.applicationId);
  return item;
}

function fromItem(item: Item): AuditEvent {
  const { sk: _sk, appKey: _appKey, expiresAt: _expiresAt, ...event } = item;
  return event as AuditEvent;
}

/** Highest string that starts with `prefix`-like keys: `to` plus the highest character, so a bound covers every id. */
const UPPER = '\uffff';

export class AuditRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The PutItem (for a transaction) of a new event; its key never exists before, so it never overwrites. */
  newEvent(event: AuditEvent, expiresAt: number): TransactItem {
    return { Put: { TableName: this.table, Item: toItem(event, expiresAt), ConditionExpression: 'attribute_not_exists(sk)' } };
  }

  /** Appends one event. */
  async append(event: AuditEvent, expiresAt: number): Promise<void> {
    await this.dynamo.send(new PutCommand({ TableName: this.table, Item: toItem(event, expiresAt), ConditionExpression: 'attribute_not_exists(sk)' }));
  }

  /**
   * Up to `limit` events, newest first, of the tenant (or one of its applications), within the bounds, matching the
   * filters, in at most MAX_AUDIT_READS_PER_PAGE reads: a page may come back partly filled with hasNextPage true.
   */
  async query(query: AuditQuery, limit: number): Promise<AuditQueryPage> {
    const filtered = Boolean(query.actions?.length || query.outcomes?.length);
    const readSize = filtered ? Math.max(limit + 1, FILTERED_AUDIT_READ_SIZE) : limit + 1;
    const events: AuditEvent[] = [];
    let startKey: Item | undefined;
    let reads = 0;
    do {
      const out = await this.dynamo.send(new QueryCommand({ ...this.queryInput(query), Limit: readSize, ExclusiveStartKey: startKey }));
      reads += 1;
      for (const item of out.Items ?? []) if (item.sk !== query.beforeKey) events.push(fromItem(item));
      startKey = out.LastEvaluatedKey;
    } while (events.length <= limit && startKey && reads < MAX_AUDIT_READS_PER_PAGE);
    if (events.length > limit) {
      const page = events.slice(0, limit);
      return { events: page, hasNextPage: true, endKey: sortKeyOf(page.at(-1)!) };
    }
    // The page is not full: either the partition ended, or the read budget did (continue below the last key read).
    const last = events.at(-1);
    if (startKey) return { events, hasNextPage: true, endKey: String(startKey.sk) };
    return { events, hasNextPage: false, ...(last ? { endKey: sortKeyOf(last) } : {}) };
  }

  /** How many events match (the same conditions, counted by DynamoDB), in at most MAX_AUDIT_COUNT_READS reads. */
  async count(query: Omit<AuditQuery, 'beforeKey'>): Promise<AuditCount> {
    let count = 0;
    let startKey: Item | undefined;
    let reads = 0;
    do {
      const out = await this.dynamo.send(new QueryCommand({ ...this.queryInput(query), Select: 'COUNT', ExclusiveStartKey: startKey }));
      reads += 1;
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey && reads < MAX_AUDIT_COUNT_READS);
    return { count, exact: startKey === undefined };
  }

  private queryInput(query: AuditQuery) {
    const names: Record<string, string> = {};
    const values: Item = {};
    if (query.applicationId !== undefined) {
      names['#pk'] = 'appKey';
      values[':pk'] = applicationKeyOf(query.tenant, query.applicationId);
    } else {
      names['#pk'] = 'tenant';
      values[':pk'] = query.tenant;
    }
    let keyCondition = '#pk = :pk';
    // Both bounds inclusive; beforeKey (a page's last event, exclusive) is dropped from the answer by query().
    const upper = [query.toKey === undefined ? undefined : `${query.toKey}${UPPER}`, query.beforeKey]
      .filter((key): key is string => key !== undefined)
      .sort()[0];
    const lower = query.fromKey;
    if (lower !== undefined) values[':lower'] = lower;
    if (upper !== undefined) values[':upper'] = upper;
    if (lower !== undefined || upper !== undefined) names['#sk'] = 'sk';
    if (lower !== undefined && upper !== undefined) keyCondition += ' AND #sk BETWEEN :lower AND :upper';
    else if (lower !== undefined) keyCondition += ' AND #sk >= :lower';
    else if (upper !== undefined) keyCondition += ' AND #sk <= :upper';
    const filters: string[] = [];
    const inList = (attribute: string, list: readonly string[] | undefined, prefix: string) => {
      if (!list || list.length === 0) return;
      names[`#${prefix}`] = attribute;
      const placeholders = list.map((value, index) => {
        values[`:${prefix}${index}`] = value;
        return `:${prefix}${index}`;
      });
      filters.push(`#${prefix} IN (${placeholders.join(', ')})`);
    };
    inList('action', query.actions, 'action');
    inList('outcome', query.outcomes, 'outcome');
    return {
      TableName: this.table,
      IndexName: query.applicationId !== undefined ? 'byApplication' : undefined,
      KeyConditionExpression: keyCondition,
      FilterExpression: filters.length ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    };
  }
}
