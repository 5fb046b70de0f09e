// AuditRecorder, the audit trail's writer: builds complete events, appends them (or hands them to a transaction), aggregates
// repeated refusals, counts each event in the operational metrics (./metrics.ts), and never lets a failed audit
// write fail the operation it records.
import { randomUUID } from 'node:crypto';
import { afterCommit, type TransactItem } from '../aws/transactions';
import { logger } from '../logger';
import { countAuditEvent } from './metrics';
import { DAY_MS, epochSeconds } from '../time';
import { currentAuditRequest } from './request';
import type { AuditDetails, AuditEvent, AuditEventInput } from './types';

/** Details keys that could only hold what an event must never hold. */
const FORBIDDEN_DETAIL_KEYS = /^(client_?secret|secret|secret_?value|token|access_?token|one_?time_?token|password|private_?key(_?pem)?|authorization|csr(_?pem)?)$/i;
/** Values shaped like a PEM block or a JWT are not kept whatever their key. */
const SECRET_SHAPED_VALUE = /-----BEGIN |^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./;

/** The details with anything that could be a secret left out (callers never pass one; this is the second line). */
export function safeDetails(details: AuditDetails | undefined): AuditDetails {
  const kept: Record<string, AuditDetails[string]> = {};
  for (const [key, value] of Object.entries(details ?? {})) {
    if (FORBIDDEN_DETAIL_KEYS.test(key)) continue;
    if (typeof value === 'string' && SECRET_SHAPED_VALUE.test(value)) continue;
    kept[key] = value;
  }
  return kept;
}

/** The minute an aggregation bucket covers. */
export const AGGREGATION_WINDOW_MS = 60_000;
/**
 * A bucket with this many unwritten repeats is written at once, whatever its count: past 1,000 refusals in a minute
 * a burst is written every 500 rather than at the next power of two.
 */
export const MAX_UNWRITTEN_REPEATS = 500;
/** Buckets kept in memory at most; beyond, every pending one is written. */
const MAX_PENDING_BUCKETS = 1000;

interface PendingRefusals {
  window: number;
  /** Refusals of the window so far, the first one included. */
  total: number;
  /** Refusals after the first one of the window, not yet written. */
  repeats: number;
  first: AuditEvent;
  last: AuditEvent;
}

export interface AuditStore {
  append(event: AuditEvent, expiresAt: number): Promise<void>;
  newEvent(event: AuditEvent, expiresAt: number): TransactItem;
}

export class AuditRecorder {
  private readonly pending = new Map<string, PendingRefusals>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** The time of the last event built here: events of one process get strictly increasing times (see event()). */
  private lastTime = 0;

  constructor(
    private readonly store: AuditStore,
    private readonly now: () => Date,
    /** Days an event is kept before DynamoDB's TTL removes it. */
    private readonly retentionDays: number,
    /** Counts an event in the operational metrics (./metrics.ts); unit tests hand in a recorder. */
    private readonly count: typeof countAuditEvent = countAuditEvent,
  ) {}

  /** The complete event: a new id, the time, the request's facts, and details without anything secret-shaped. */
  event(input: AuditEventInput, count = 1): AuditEvent {
    // One millisecond later than the previous event at least, so that the events of one request (e.g. the two of a
    // transaction) read back newest first in the order they were recorded; the trail's order is by time, then id.
    const at = Math.max(this.now().getTime(), this.lastTime + 1);
    this.lastTime = at;
    const event: AuditEvent = {
      id: randomUUID(),
      time: new Date(at).toISOString(),
      tenant: input.tenant,
      action: input.action,
      outcome: input.outcome,
      actor: input.actor,
      target: input.target ?? {},
      details: safeDetails(input.details),
      count,
      ...currentAuditRequest(),
    };
    if (input.reason !== undefined) event.reason = input.reason;
    if (input.reasonCode !== undefined) event.reasonCode = input.reasonCode;
    return event;
  }

  /**
   * The event as an item of the transaction that makes the change it records, so that the two cannot part: put
   * it under a name of its own into the operation's `transactWrite`.
   */
  inTransaction(input: AuditEventInput): TransactItem {
    const event = this.event(input);
    // Counted in the operational metrics only once the transaction has written it.
    return afterCommit(this.store.newEvent(event, this.expiresAt(event)), () => this.count(input));
  }

  /**
   * Appends the event right after the change it records. Never throws: the change has happened and its caller gets
   * its answer; a failed write is logged at ERROR with the whole event (which holds nothing secret), so it is not lost.
   */
  async record(input: AuditEventInput): Promise<AuditEvent> {
    await this.flushClosedWindows();
    const event = this.event(input);
    this.count(input);
    await this.write(event);
    return event;
  }

  /**
   * Several events of one change (e.g. pairing data generated and client credentials issued), written in parallel:
   * one round trip, not one per event. Their times follow the order given. Never throws, like record().
   */
  async recordAll(inputs: readonly AuditEventInput[]): Promise<AuditEvent[]> {
    await this.flushClosedWindows();
    const events = inputs.map((input) => this.event(input));
    for (const input of inputs) this.count(input);
    await Promise.all(events.map((event) => this.write(event)));
    return events;
  }

  /**
   * A refusal, aggregated: the first refusal of the same tenant, actor, action and reason within a minute is written
   * at once (count 1), so an attack is never invisible. The repeats of that minute are counted in memory and written
   * as one event whose `count` is their number whenever the minute's total reaches a power of two (2, 4, 8, ...) or
   * MAX_UNWRITTEN_REPEATS are waiting, and once the minute is over. So the trail holds at least half of any burst at
   * every moment, without waiting for a later request (a frozen Lambda container runs no timer), in about log2(n)
   * writes. The refusals a flood made are the sum of the counts. Never throws.
   */
  async refused(input: AuditEventInput): Promise<void> {
    // Every refusal is counted at once in the operational metrics, aggregated or not in the trail.
    this.count(input);
    await this.flushClosedWindows();
    const at = this.now().getTime();
    const window = Math.floor(at / AGGREGATION_WINDOW_MS);
    const key = aggregationKey(input);
    const bucket = this.pending.get(key);
    if (bucket && bucket.window === window) {
      bucket.total += 1;
      bucket.repeats += 1;
      bucket.last = this.event(input);
      if (isPowerOfTwo(bucket.total) || bucket.repeats >= MAX_UNWRITTEN_REPEATS) await this.writeRepeats(bucket);
      return;
    }
    const first = this.event(input);
    if (this.pending.size >= MAX_PENDING_BUCKETS) await this.flush();
    this.pending.set(key, { window, total: 1, repeats: 0, first, last: first });
    this.scheduleFlush(at);
    await this.write(first);
  }

  /** Writes every repeat counted so far, whether or not its minute is over (tests; the end of a process). */
  async flush(): Promise<void> {
    for (const bucket of [...this.pending.values()]) await this.writeRepeats(bucket);
    this.pending.clear();
  }

  private async flushClosedWindows(): Promise<void> {
    const window = Math.floor(this.now().getTime() / AGGREGATION_WINDOW_MS);
    for (const [key, bucket] of [...this.pending]) {
      if (bucket.window < window) {
        this.pending.delete(key);
        await this.writeRepeats(bucket);
      }
    }
  }

  /** One event for the repeats of a bucket (none when there were none); the bucket then counts from zero again. */
  private async writeRepeats(bucket: PendingRefusals): Promise<void> {
    if (bucket.repeats === 0) return;
    const repeats = bucket.repeats;
    bucket.repeats = 0;
    const event: AuditEvent = {
      ...bucket.last,
      id: randomUUID(),
      time: bucket.last.time,
      count: repeats,
      details: { ...bucket.last.details, aggregated: true, firstEventId: bucket.first.id, firstAt: bucket.first.time },
    };
    await this.write(event);
  }

  /**
   * A Lambda container runs timers while it is thawed: the rest of a minute's repeats is written at its end if the
   * container is still handling requests, else with its next request (flushClosedWindows). A container that is never
   * invoked again keeps fewer unwritten repeats than it wrote (see refused()); every refusal is in the function's log.
   */
  private scheduleFlush(at: number): void {
    if (this.flushTimer) return;
    const wait = AGGREGATION_WINDOW_MS - (at % AGGREGATION_WINDOW_MS) + 50;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushClosedWindows().then(() => {
        if (this.pending.size > 0) this.scheduleFlush(this.now().getTime());
      });
    }, wait);
    this.flushTimer.unref();
  }

  private expiresAt(event: AuditEvent): number {
    return epochSeconds(new Date(Date.parse(event.time) + this.retentionDays * DAY_MS));
  }

  private async write(event: AuditEvent): Promise<void> {
    try {
      await this.store.append(event, this.expiresAt(event));
    } catch (error) {
      // The error's name only: an AWS message can quote request parameters. The event itself is safe to log.
      logger.error('audit event could not be written', { auditEvent: event, error: (error as { name?: string } | undefined)?.name ?? 'unknown error' });
    }
  }
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

function aggregationKey(input: AuditEventInput): string {
  const actorId = 'id' in input.actor ? (input.actor.id ?? '') : '';
  return [input.tenant, input.actor.kind, actorId, input.action, input.reason ?? ''].join('\n');
}

/** For code outside a handler (the admin CLI, e.g. `retire-ca --force`): one event, actor `cli` unless given, written now. */
export function recordAuditEvent(
  input: Omit<AuditEventInput, 'actor'> & { actor?: AuditEventInput['actor'] },
  trail: AuditRecorder,
): Promise<AuditEvent> {
  return trail.record({ ...input, actor: input.actor ?? { kind: 'CLI' } });
}
