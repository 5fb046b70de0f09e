// The one transaction helper: cancellation reasons by item name, and its retry policy (with a stand-in DynamoDB client).
import { afterCommit, cancellationOf, TRANSACTION_RETRY, transactWrite, TransactionCancelledError } from '../../../shared/aws/transactions';
import { aws } from '../../../functions/container';

const put = (id: string) => ({ Put: { TableName: 'table', Item: { id } } });

/** A TransactionCanceledException as the SDK throws it, one reason per item in request order. */
const cancelled = (...codes: string[]) =>
  Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: codes.map((Code) => ({ Code })) });

let send: jest.SpyInstance;
beforeEach(() => {
  send = jest.spyOn(aws.dynamo, 'send');
});
afterEach(() => send.mockRestore());

describe('cancellationOf', () => {
  it('names the reason of every item in request order, None for items without one', () => {
    const error = cancellationOf(cancelled('None', 'ConditionalCheckFailed'), ['token', 'systemAuth', 'certificate']);
    expect(error?.reasons).toEqual({ token: 'None', systemAuth: 'ConditionalCheckFailed', certificate: 'None' });
    expect(error?.conditionFailed('systemAuth')).toBe(true);
    expect(error?.conditionFailed('token')).toBe(false);
    expect(error?.failedItems).toEqual(['systemAuth']);
    expect(error?.message).toBe('transaction cancelled: token=None, systemAuth=ConditionalCheckFailed, certificate=None');
    expect(error?.name).toBe('TransactionCancelledError');
  });

  it('is undefined for any other error', () => {
    expect(cancellationOf(Object.assign(new Error('x'), { name: 'ThrottlingException' }), ['a'])).toBeUndefined();
    expect(cancellationOf(undefined, ['a'])).toBeUndefined();
  });
});

describe('transactWrite', () => {
  it('sends the items in the order of their names', async () => {
    send.mockResolvedValue({});
    await transactWrite(aws.dynamo, { first: put('1'), second: put('2') });
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0][0].input).toEqual({ TransactItems: [put('1'), put('2')] });
  });

  it('throws a failed condition at once, naming the item', async () => {
    send.mockRejectedValue(cancelled('None', 'ConditionalCheckFailed'));
    const error = await transactWrite(aws.dynamo, { application: put('1'), nameLock: put('2') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect((error as TransactionCancelledError).conditionFailed('nameLock')).toBe(true);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('retries a conflict with no failed condition, and succeeds when the other transaction is done', async () => {
    send.mockRejectedValueOnce(cancelled('TransactionConflict', 'None')).mockResolvedValueOnce({});
    await transactWrite(aws.dynamo, { token: put('1'), systemAuth: put('2') });
    expect(send).toHaveBeenCalledTimes(2);
  });

  it(`gives up after ${TRANSACTION_RETRY.attempts} attempts of conflicts, naming the conflicted item`, async () => {
    send.mockRejectedValue(cancelled('None', 'TransactionConflict'));
    const error = await transactWrite(aws.dynamo, { token: put('1'), systemAuth: put('2') }).catch((e: unknown) => e);
    expect((error as TransactionCancelledError).conflicted('systemAuth')).toBe(true);
    expect(send).toHaveBeenCalledTimes(TRANSACTION_RETRY.attempts);
  });

  it('does not retry a conflict when a condition failed too: the failed condition is the answer', async () => {
    send.mockRejectedValue(cancelled('TransactionConflict', 'ConditionalCheckFailed'));
    const error = await transactWrite(aws.dynamo, { token: put('1'), systemAuth: put('2') }).catch((e: unknown) => e);
    expect((error as TransactionCancelledError).conditionFailed('systemAuth')).toBe(true);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('passes any other error through unchanged', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    send.mockRejectedValue(throttled);
    await expect(transactWrite(aws.dynamo, { token: put('1') })).rejects.toBe(throttled);
  });
});

describe('afterCommit', () => {
  it('runs the callback once the transaction holding the item commits, after retried conflicts too, and once only', async () => {
    const committed = jest.fn();
    send.mockRejectedValueOnce(cancelled('TransactionConflict', 'None')).mockResolvedValueOnce({});
    await transactWrite(aws.dynamo, { first: afterCommit(put('1'), committed), second: put('2') });
    expect(send).toHaveBeenCalledTimes(2);
    expect(committed).toHaveBeenCalledTimes(1);
  });

  it('never runs it when the transaction is cancelled or fails', async () => {
    const committed = jest.fn();
    send.mockRejectedValueOnce(cancelled('None', 'ConditionalCheckFailed'));
    await expect(transactWrite(aws.dynamo, { first: afterCommit(put('1'), committed), second: put('2') })).rejects.toBeInstanceOf(TransactionCancelledError);
    send.mockRejectedValueOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(transactWrite(aws.dynamo, { first: afterCommit(put('1'), committed) })).rejects.toThrow('slow down');
    expect(committed).not.toHaveBeenCalled();
  });

  it('a callback that throws does not turn a committed transaction into a failure', async () => {
    send.mockResolvedValueOnce({});
    await expect(transactWrite(aws.dynamo, { only: afterCommit(put('1'), () => { throw new Error('boom'); }) })).resolves.toBeUndefined();
  });
});
