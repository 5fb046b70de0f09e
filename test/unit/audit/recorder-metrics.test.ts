// The audit trail counts what it records as operational metrics: written events at once, refusals one by one even
// when the trail aggregates them, and events of a transaction only once the transaction has committed.
import { transactWrite } from '../../../shared/aws/transactions';
import { AuditRecorder } from '../../../shared/audit/recorder';
import type { AuditEvent, AuditEventInput } from '../../../shared/audit/types';
import { breakdownOf, METRIC_OF_ACTION, type CountedEvent } from '../../../shared/audit/metrics';
import { aws } from '../../../functions/container';

/** The metric calls the trail makes, as countAuditEvent would make them (metric, count, breakdown). */
const counted = jest.fn<void, [string, number, ReturnType<typeof breakdownOf>]>();
const countEvent = (event: CountedEvent, count = 1) => {
  const metric = METRIC_OF_ACTION[event.action];
  if (metric) counted(metric, count, breakdownOf(event));
};

const store = {
  append: async (_event: AuditEvent, _expiresAt: number) => undefined,
  newEvent: (event: AuditEvent, expiresAt: number) => ({ Put: { TableName: 'audit', Item: { ...event, expiresAt } } }),
};
const spent: AuditEventInput = {
  tenant: 'acme', action: 'ONE_TIME_TOKEN_REFUSED', outcome: 'REFUSED', reason: 'spent', reasonCode: 'SPENT',
  actor: { kind: 'APPLICATION', id: 'auth-1', via: 'ONE_TIME_TOKEN' }, details: { purpose: 'CSR' },
};
const issued: AuditEventInput = { tenant: 'acme', action: 'CERTIFICATE_ISSUED', outcome: 'SUCCESS', actor: { kind: 'APPLICATION', id: 'auth-1', via: 'ONE_TIME_TOKEN' } };

let send: jest.SpyInstance;
beforeEach(() => {
  counted.mockClear();
  send = jest.spyOn(aws.dynamo, 'send');
});
afterEach(() => send.mockRestore());

test('every refusal is counted as it happens, though the trail writes repeats of a minute as one event', async () => {
  const trail = new AuditRecorder(store, () => new Date('2026-11-29T08:00:00Z'), 400, countEvent);
  for (let i = 0; i < 3; i++) await trail.refused(spent);
  expect(counted.mock.calls).toEqual(Array.from({ length: 3 }, () => ['OneTimeTokensRefused', 1, { name: 'Reason', value: 'SPENT' }]));
});

test('recorded events are counted, and actions without a metric are not', async () => {
  const trail = new AuditRecorder(store, () => new Date(), 400, countEvent);
  await trail.recordAll([issued, { ...issued, action: 'APPLICATION_UPDATED' }]);
  await trail.record({ ...issued, action: 'CERTIFICATE_RENEWED' });
  expect(counted.mock.calls).toEqual([['CertificatesIssued', 1, undefined], ['CertificatesRenewed', 1, undefined]]);
});

test('an event of a transaction is counted once the transaction commits, and never when it is cancelled', async () => {
  const trail = new AuditRecorder(store, () => new Date(), 400, countEvent);
  send.mockRejectedValueOnce(Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }] }));
  await expect(transactWrite(aws.dynamo, { token: { Put: { TableName: 't', Item: {} } }, audit: trail.inTransaction(issued) })).rejects.toThrow('transaction cancelled');
  expect(counted).not.toHaveBeenCalled();

  send.mockResolvedValueOnce({});
  const item = trail.inTransaction(issued);
  expect(counted).not.toHaveBeenCalled();
  await transactWrite(aws.dynamo, { token: { Put: { TableName: 't', Item: {} } }, audit: item });
  expect(counted.mock.calls).toEqual([['CertificatesIssued', 1, undefined]]);
});
