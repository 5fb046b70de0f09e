// AuditRecorder with a stand-in store and clock: what an event holds, how repeated refusals are aggregated, and that a
// failed write never fails the caller but is logged whole.
import { AuditRecorder, AGGREGATION_WINDOW_MS, MAX_UNWRITTEN_REPEATS, safeDetails, recordAuditEvent } from '../../../shared/audit/recorder';
import { withAuditRequest } from '../../../shared/audit/request';
import type { AuditEvent, AuditEventInput } from '../../../shared/audit/types';
import { captureLogs } from '../../support/captured-logs';

function recordingStore() {
  const written: Array<{ event: AuditEvent; expiresAt: number }> = [];
  return {
    written,
    append: async (event: AuditEvent, expiresAt: number) => void written.push({ event, expiresAt }),
    newEvent: (event: AuditEvent, expiresAt: number) => ({ Put: { TableName: 'audit', Item: { ...event, expiresAt } } }),
  };
}

const START = Date.parse('2026-11-29T08:00:00.000Z');

function clock() {
  let at = START;
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

const wrongSecret: AuditEventInput = {
  tenant: 'acme', action: 'CLIENT_AUTHENTICATION_REFUSED', outcome: 'REFUSED', reason: 'wrong secret',
  actor: { kind: 'UNAUTHENTICATED', id: 'client-1' }, target: { systemAuthId: 'client-1' },
};

test('an event carries id, time, the request facts, the retention as TTL and count 1', async () => {
  const store = recordingStore();
  const time = clock();
  const trail = new AuditRecorder(store, time.now, 400);
  const event = { requestContext: { requestId: 'req-1', identity: { sourceIp: '198.51.100.4', userAgent: 'curl/8.5.0' } }, headers: { 'X-Forwarded-For': '10.0.0.1' } };
  await withAuditRequest(event, () => trail.record({ tenant: 'acme', action: 'APPLICATION_UPDATED', outcome: 'SUCCESS', actor: { kind: 'ADMINISTRATOR', id: 'admin-1' } }));
  expect(store.written).toEqual([
    {
      event: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/), time: '2026-11-29T08:00:00.000Z', tenant: 'acme', action: 'APPLICATION_UPDATED', outcome: 'SUCCESS',
        actor: { kind: 'ADMINISTRATOR', id: 'admin-1' }, target: {}, details: {}, count: 1,
        // API Gateway's source IP, never the client's X-Forwarded-For.
        requestId: 'req-1', sourceIp: '198.51.100.4', userAgent: 'curl/8.5.0',
      },
      expiresAt: START / 1000 + 400 * 86_400,
    },
  ]);
});

test('50 refusals within a minute are written at counts 1, 2, 4, ... 32 as they happen, the rest when the minute ends: the counts add up to 50', async () => {
  const store = recordingStore();
  const time = clock();
  const trail = new AuditRecorder(store, time.now, 400);
  for (let i = 1; i <= 50; i++) {
    await trail.refused(wrongSecret);
    // At every moment, without a timer or a later request, the trail holds at least half of the burst so far.
    const written = store.written.reduce((sum, { event }) => sum + event.count, 0);
    expect(written * 2).toBeGreaterThanOrEqual(i);
    time.advance(100);
  }
  // The first one at once, so that a flood is never invisible; then the repeats whenever the total doubles.
  expect(store.written.map(({ event }) => event.count)).toEqual([1, 1, 2, 4, 8, 16]);
  // The minute ends: the next audited call writes the remaining repeats as one event.
  time.advance(AGGREGATION_WINDOW_MS);
  await trail.record({ tenant: 'acme', action: 'APPLICATION_UPDATED', outcome: 'SUCCESS', actor: { kind: 'ADMINISTRATOR', id: 'admin-1' } });
  const refusals = store.written.filter(({ event }) => event.action === 'CLIENT_AUTHENTICATION_REFUSED').map(({ event }) => event);
  expect(refusals.map((event) => event.count)).toEqual([1, 1, 2, 4, 8, 16, 18]);
  for (const repeat of refusals.slice(1)) {
    expect(repeat).toMatchObject({ reason: 'wrong secret', actor: { kind: 'UNAUTHENTICATED', id: 'client-1' }, details: { aggregated: true, firstEventId: refusals[0].id } });
  }
});

test('other actors and other reasons are aggregated apart; a new minute starts with a written first refusal again', async () => {
  const store = recordingStore();
  const time = clock();
  const trail = new AuditRecorder(store, time.now, 400);
  await trail.refused(wrongSecret);
  await trail.refused({ ...wrongSecret, actor: { kind: 'UNAUTHENTICATED', id: 'client-2' } });
  await trail.refused({ ...wrongSecret, reason: 'client not active' });
  await trail.refused(wrongSecret);
  await trail.refused(wrongSecret);
  // client-1's second wrong secret was written (total 2, a power of two), its third waits.
  expect(store.written.map(({ event }) => [event.actor, event.reason, event.count])).toEqual([
    [{ kind: 'UNAUTHENTICATED', id: 'client-1' }, 'wrong secret', 1],
    [{ kind: 'UNAUTHENTICATED', id: 'client-2' }, 'wrong secret', 1],
    [{ kind: 'UNAUTHENTICATED', id: 'client-1' }, 'client not active', 1],
    [{ kind: 'UNAUTHENTICATED', id: 'client-1' }, 'wrong secret', 1],
  ]);
  time.advance(AGGREGATION_WINDOW_MS);
  await trail.refused(wrongSecret);
  // The closed minute's one repeat, then the new minute's first refusal.
  expect(store.written.slice(4).map(({ event }) => [event.actor, event.count])).toEqual([
    [{ kind: 'UNAUTHENTICATED', id: 'client-1' }, 1],
    [{ kind: 'UNAUTHENTICATED', id: 'client-1' }, 1],
  ]);
});

test(`past the powers of two a flood is written every ${MAX_UNWRITTEN_REPEATS} repeats within its minute`, async () => {
  const store = recordingStore();
  const trail = new AuditRecorder(store, clock().now, 400);
  for (let i = 0; i < 2048; i++) await trail.refused(wrongSecret);
  // 1, 1, 2, ... 256 (total 512), then at most 500 unwritten: 1012, 1024 (a power of two), 1524, 2024, 2048.
  expect(store.written.map(({ event }) => event.count)).toEqual([1, 1, 2, 4, 8, 16, 32, 64, 128, 256, MAX_UNWRITTEN_REPEATS, 12, 500, 500, 24]);
  expect(store.written.reduce((sum, { event }) => sum + event.count, 0)).toBe(2048);
});

test('a failed write does not throw: the whole event is logged at ERROR with the error name only', async () => {
  const failing = { ...recordingStore(), append: async () => Promise.reject(Object.assign(new Error('arn:aws:dynamodb:eu-central-1:123456789012:table/x throttled'), { name: 'ThrottlingException' })) };
  const trail = new AuditRecorder(failing, clock().now, 400);
  const { result, records } = await captureLogs('INFO', () => trail.record({ tenant: 'acme', action: 'APPLICATION_UPDATED', outcome: 'SUCCESS', actor: { kind: 'CLI' } }));
  expect(records).toEqual([
    expect.objectContaining({ level: 'ERROR', message: 'audit event could not be written', error: 'ThrottlingException', auditEvent: JSON.parse(JSON.stringify(result)) }),
  ]);
  expect(JSON.stringify(records)).not.toContain('arn:aws');
});

test('details never keep a secret-named key or a PEM- or JWT-shaped value', () => {
  expect(
    safeDetails({
      type: 'OAUTH2_CLIENT_CREDENTIALS', secretId: 'initial', clientSecret: 's3cret', token: 'abc', csr: 'x', privateKeyPem: 'k', Authorization: 'Bearer x',
      certificate: '-----BEGIN CERTIFICATE-----\nMII...', note: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
    }),
  ).toEqual({ type: 'OAUTH2_CLIENT_CREDENTIALS', secretId: 'initial' });
});

test('recordAuditEvent (for the admin CLI) records with the actor cli unless told otherwise', async () => {
  const store = recordingStore();
  const trail = new AuditRecorder(store, clock().now, 400);
  await recordAuditEvent({ tenant: 'acme', action: 'ADMINISTRATOR_CREATED', outcome: 'SUCCESS', target: { systemAuthId: 'admin-2' } }, trail);
  expect(store.written[0].event).toMatchObject({ actor: { kind: 'CLI' }, action: 'ADMINISTRATOR_CREATED', target: { systemAuthId: 'admin-2' } });
});

test('recordAll writes the events of one change together, their times in the order given', async () => {
  const pending: Array<() => void> = [];
  const written: AuditEvent[] = [];
  // A store that answers only when told: both writes must be under way before either is answered.
  const slowStore = {
    ...recordingStore(),
    append: (event: AuditEvent) => new Promise<void>((resolve) => pending.push(() => (written.push(event), resolve()))),
  };
  const trail = new AuditRecorder(slowStore, clock().now, 400);
  const done = trail.recordAll([
    { tenant: 'acme', action: 'PAIRING_DATA_GENERATED', outcome: 'SUCCESS', actor: { kind: 'ADMINISTRATOR', id: 'a' } },
    { tenant: 'acme', action: 'CLIENT_CREDENTIALS_ISSUED', outcome: 'SUCCESS', actor: { kind: 'ADMINISTRATOR', id: 'a' } },
  ]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(pending).toHaveLength(2);
  pending.forEach((answer) => answer());
  const events = await done;
  expect(events.map((event) => event.action)).toEqual(['PAIRING_DATA_GENERATED', 'CLIENT_CREDENTIALS_ISSUED']);
  expect(events[0].time < events[1].time).toBe(true);
  expect(written).toHaveLength(2);
});
