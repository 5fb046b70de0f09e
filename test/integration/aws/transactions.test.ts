// The transaction helper against DynamoDB Local: a real cancellation names the item whose condition failed, and nothing is written.
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { transactWrite, TransactionCancelledError } from '../../../shared/aws/transactions';
import { config } from '../../../shared/config';
import { aws } from '../../../functions/container';

describe('transactWrite against DynamoDB Local', () => {
  it('names the item whose condition failed, whatever its position, and writes none of the others', async () => {
    const table = config().tokensTable;
    const [fresh, taken] = [randomUUID(), randomUUID()];
    await transactWrite(aws.dynamo, { existing: { Put: { TableName: table, Item: { tokenHash: taken, expiresAt: 4102444800 } } } });

    const error = await transactWrite(aws.dynamo, {
      fresh: { Put: { TableName: table, Item: { tokenHash: fresh, expiresAt: 4102444800 }, ConditionExpression: 'attribute_not_exists(tokenHash)' } },
      taken: { Put: { TableName: table, Item: { tokenHash: taken, expiresAt: 4102444800 }, ConditionExpression: 'attribute_not_exists(tokenHash)' } },
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect((error as TransactionCancelledError).reasons).toEqual({ fresh: 'None', taken: 'ConditionalCheckFailed' });
    const stored = await aws.dynamo.send(new GetCommand({ TableName: table, Key: { tokenHash: fresh }, ConsistentRead: true }));
    expect(stored.Item).toBeUndefined();
  });
});
