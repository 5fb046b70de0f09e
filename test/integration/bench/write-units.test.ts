// bench/write-units.ts against DynamoDB Local: for single-item writes, whose consumed capacity DynamoDB Local reports as
// AWS bills it, the worked-out units must equal the reported ones (item sizes, the larger of before and after, index
// copies by projection, sparse index entries, key changes). Transactions are where the two part: AWS's rule is twice
// each item's units; DynamoDB Local reports otherwise, and the test pins how, so a newer jar that fixes it is noticed.
import { CreateTableCommand, DeleteTableCommand, type ConsumedCapacity, type Projection } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { WriteUnitCounter } from '../../../bench/write-units';
import { aws } from '../../../functions/container';

const suffix = Date.now().toString(36);
const TABLES = { all: `wu-all-${suffix}`, keysOnly: `wu-keys-${suffix}`, include: `wu-include-${suffix}` };
const counter = new WriteUnitCounter();
const big = 'x'.repeat(1500);

/** Runs the write through the document client as the service does; returns [worked out, reported by DynamoDB Local, of the first the index copies a transaction wrote]. */
async function measured(command: PutCommand | UpdateCommand | DeleteCommand | TransactWriteCommand): Promise<[number, number, number]> {
  const name = command.constructor.name.replace(/Command$/, '');
  const low = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', TransactWrite: 'TransactWriteItems' }[name]!;
  const input = command.input as Record<string, unknown>;
  const read = (await counter.before(low, input))!;
  input.ReturnConsumedCapacity = 'TOTAL';
  const out = (await aws.dynamo.send(command as never)) as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
  const reported = [out.ConsumedCapacity ?? []].flat().reduce((sum, capacity) => sum + (capacity.CapacityUnits ?? 0), 0);
  const billed = await counter.after(low, read);
  return [billed.units, reported, billed.transactionIndexUnits];
}

beforeAll(async () => {
  for (const [table, projection] of [[TABLES.all, { ProjectionType: 'ALL' }], [TABLES.keysOnly, { ProjectionType: 'KEYS_ONLY' }], [TABLES.include, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['kind'] }]] as Array<[string, Projection]>) {
    await aws.dynamo.send(new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'group', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [{ IndexName: 'byGroup', KeySchema: [{ AttributeName: 'group', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }], Projection: projection }],
    }));
  }
});

afterAll(async () => {
  await Promise.all(Object.values(TABLES).map((table) => aws.dynamo.send(new DeleteTableCommand({ TableName: table }))));
});

describe('write units worked out from the items before and after', () => {
  it.each(Object.entries(TABLES))('match what DynamoDB Local reports for single-item writes (%s projection)', async (_projection, table) => {
    const cases: Array<PutCommand | UpdateCommand | DeleteCommand> = [
      new PutCommand({ TableName: table, Item: { id: 'a', group: 'g', kind: 'small' } }), // new, in the index
      new PutCommand({ TableName: table, Item: { id: 'b', kind: 'not indexed' } }), // new, no index key: the index skips it
      new UpdateCommand({ TableName: table, Key: { id: 'a' }, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': 'x' } }), // unprojected except ALL
      new UpdateCommand({ TableName: table, Key: { id: 'a' }, UpdateExpression: 'SET kind = :k', ExpressionAttributeValues: { ':k': 'other' } }), // projected in ALL and INCLUDE
      new UpdateCommand({ TableName: table, Key: { id: 'a' }, UpdateExpression: 'SET body = :b', ExpressionAttributeValues: { ':b': big } }), // grows past 1 KB
      new UpdateCommand({ TableName: table, Key: { id: 'a' }, UpdateExpression: 'SET #g = :g', ExpressionAttributeNames: { '#g': 'group' }, ExpressionAttributeValues: { ':g': 'h' } }), // index key moves
      new UpdateCommand({ TableName: table, Key: { id: 'b' }, UpdateExpression: 'SET #g = :g', ExpressionAttributeNames: { '#g': 'group' }, ExpressionAttributeValues: { ':g': 'g' } }), // enters the index
      new UpdateCommand({ TableName: table, Key: { id: 'a' }, UpdateExpression: 'REMOVE body' }), // shrinks: billed at the larger size
      new PutCommand({ TableName: table, Item: { id: 'b', group: 'g', kind: 'replaced', body: big } }), // overwrite
      new DeleteCommand({ TableName: table, Key: { id: 'b' } }),
      new DeleteCommand({ TableName: table, Key: { id: 'never' } }), // nothing to delete: still 1
    ];
    for (const command of cases) {
      const [worked, reported] = await measured(command);
      expect({ input: command.input, units: worked }).toEqual({ input: command.input, units: reported });
    }
  });

  it('bills a transaction at twice each item\'s units, where DynamoDB Local merges equal figures and doubles twice', async () => {
    const table = TABLES.keysOnly;
    const [worked, reported, indexCopies] = await measured(new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { id: 't1', group: 'g' } } },
        { Put: { TableName: table, Item: { id: 't2', group: 'g' } } },
        { Put: { TableName: table, Item: { id: 't3' } } },
      ],
    }));
    // AWS: 3 items x 2, and the 2 index copies x 2. DynamoDB Local: t1 and t2 have equal figures (1 + 1 index) and count
    // once, at 4 + 4; t3's (1, no index copy) is another 4.
    expect(worked).toBe(10);
    expect(indexCopies).toBe(4);
    expect(reported).toBe(12);

    const [single, singleReported, noCopies] = await measured(new TransactWriteCommand({ TransactItems: [{ Update: { TableName: table, Key: { id: 't3' }, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': 'x' } } }] }));
    expect(single).toBe(2);
    expect(noCopies).toBe(0);
    expect(singleReported).toBe(4);
  });
});
