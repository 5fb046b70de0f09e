// DynamoDB TransactWriteItems with named items: a cancelled transaction says which named item failed and why,
// and every transaction of the service follows one retry policy.
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One element of a TransactWriteItems request, as lib-dynamodb's command takes it. */
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/**
 * The items of one transaction by name, sent in the order of the object's keys. The names are what a
 * failure reports, so no caller ever reads a cancellation reason by position.
 */
export type NamedTransactItems = Readonly<Record<string, TransactItem>>;

/** DynamoDB's reason for an item of a cancelled transaction ("None" for an item that was fine). */
export type CancellationReason = 'None' | 'ConditionalCheckFailed' | 'TransactionConflict' | (string & {});

/** A transaction DynamoDB cancelled, with the reason of every named item. */
export class TransactionCancelledError extends Error {
  override readonly name = 'TransactionCancelledError';

  constructor(
    readonly reasons: Readonly<Record<string, CancellationReason>>,
    options?: { cause?: unknown },
  ) {
    super(`transaction cancelled: ${Object.entries(reasons).map(([item, reason]) => `${item}=${reason}`).join(', ')}`, options);
  }

  /** The named item's condition did not hold. */
  conditionFailed(item: string): boolean {
    return this.reasons[item] === 'ConditionalCheckFailed';
  }

  /** Another transaction was writing the named item (still so after every retry). */
  conflicted(item: string): boolean {
    return this.reasons[item] === 'TransactionConflict';
  }

  /** The names of the items that failed, in request order. */
  get failedItems(): string[] {
    return Object.entries(this.reasons).filter(([, reason]) => reason !== 'None').map(([item]) => item);
  }
}

/**
 * The retry policy of every transaction. DynamoDB cancels a transaction that touches an item another
 * transaction is writing with TransactionConflict, which says nothing about the conditions: such a
 * cancellation, with no condition failed, is tried again, so that the conditions are decided against the
 * other transaction's outcome. A failed condition is an answer and is never retried. Other errors
 * (throttling, timeouts) are left to the SDK client's own retries (shared/aws/clients.ts).
 */
export const TRANSACTION_RETRY = {
  attempts: 5,
  /** Wait before attempt n+1: n × stepMs plus up to jitterMs, so that the contenders spread out. */
  stepMs: 20,
  jitterMs: 30,
} as const;

/** Names the reasons of a TransactionCanceledException; undefined for any other error. */
export function cancellationOf(error: unknown, names: readonly string[]): TransactionCancelledError | undefined {
  const cancelled = error as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  if (cancelled?.name !== 'TransactionCanceledException') return undefined;
  const codes = cancelled.CancellationReasons ?? [];
  const reasons: Record<string, CancellationReason> = {};
  names.forEach((name, index) => (reasons[name] = codes[index]?.Code ?? 'None'));
  return new TransactionCancelledError(reasons, { cause: error });
}

/** What runs once the transaction holding an item has been written (e.g. counting the audit event the item is). */
const onCommit = new WeakMap<TransactItem, () => void>();

/**
 * The item, with `callback` to run after the transaction it is put into commits, and never if it is cancelled or
 * fails: what is counted as done is what was written. A callback that throws is ignored (the write has happened).
 */
export function afterCommit(item: TransactItem, callback: () => void): TransactItem {
  onCommit.set(item, callback);
  return item;
}

function committed(items: readonly TransactItem[]): void {
  for (const item of items) {
    try {
      onCommit.get(item)?.();
    } catch {
      // Nothing that follows a commit may turn it into a failure.
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a transaction is sent through: the composition's DynamoDB document client (unit tests hand in a stand-in). */
export type TransactionClient = Pick<DynamoDBDocumentClient, 'send'>;

/**
 * Writes the named items in one transaction (all or nothing). A cancellation is thrown as
 * TransactionCancelledError naming each item's reason; see TRANSACTION_RETRY for what is retried.
 */
export async function transactWrite(dynamo: TransactionClient, items: NamedTransactItems): Promise<void> {
  const names = Object.keys(items);
  const command = new TransactWriteCommand({ TransactItems: names.map((name) => items[name]) });
  for (let attempt = 1; ; attempt++) {
    try {
      await dynamo.send(command);
      committed(names.map((name) => items[name]!));
      return;
    } catch (error) {
      const cancelled = cancellationOf(error, names);
      if (!cancelled) throw error;
      const reasons = Object.values(cancelled.reasons);
      const retryable = reasons.includes('TransactionConflict') && !reasons.includes('ConditionalCheckFailed');
      if (!retryable || attempt >= TRANSACTION_RETRY.attempts) throw cancelled;
      await sleep(TRANSACTION_RETRY.stepMs * attempt + Math.random() * TRANSACTION_RETRY.jitterMs);
    }
  }
}
