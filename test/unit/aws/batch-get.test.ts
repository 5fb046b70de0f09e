// getTogether: several tables' items in one BatchGetItem, decoded in the order asked, unprocessed keys asked again.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { getTogether, type KeyedRead } from '../../../shared/aws/batch-get';

type Sent = ConstructorParameters<typeof BatchGetCommand>[0];

/** A client that answers each BatchGetItem from `answers` in turn and keeps what it was sent. */
function client(answers: Array<{ Responses?: Record<string, Record<string, unknown>[]>; UnprocessedKeys?: Record<string, { Keys: Record<string, unknown>[] }> }>) {
  const sent: Sent[] = [];
  return {
    sent,
    send: async (command: BatchGetCommand) => {
      sent.push(command.input);
      const answer = answers.shift();
      if (!answer) throw new Error('no more answers');
      return answer;
    },
  };
}

const read = <T>(table: string, key: Record<string, string>, decode: (item: Record<string, unknown>) => T): KeyedRead<T> => ({ table, key, decode });

test('reads items of two tables strongly consistent in one call and returns them decoded in the order asked, undefined for a missing one', async () => {
  const dynamo = client([{ Responses: { auths: [{ id: 'a', sk: 'AUTH', status: 'ACTIVE' }], apps: [{ tenant: 't', id: 'x', name: 'app' }] } }]);
  const [auth, missing, app] = await getTogether(dynamo as never, [
    read('auths', { id: 'a', sk: 'AUTH' }, (item) => item.status),
    read('auths', { id: 'a', sk: 'CERT#f' }, (item) => item.sk),
    read('apps', { tenant: 't', id: 'x' }, (item) => item.name),
  ] as const);
  expect([auth, missing, app]).toEqual(['ACTIVE', undefined, 'app']);
  expect(dynamo.sent).toEqual([
    {
      RequestItems: {
        auths: { Keys: [{ id: 'a', sk: 'AUTH' }, { id: 'a', sk: 'CERT#f' }], ConsistentRead: true },
        apps: { Keys: [{ tenant: 't', id: 'x' }], ConsistentRead: true },
      },
    },
  ]);
});

test('asks again for the keys DynamoDB left unprocessed, and gives up after four calls', async () => {
  const dynamo = client([
    { Responses: { apps: [] }, UnprocessedKeys: { apps: { Keys: [{ tenant: 't', id: 'x' }] } } },
    { Responses: { apps: [{ tenant: 't', id: 'x', name: 'app' }] } },
  ]);
  expect(await getTogether(dynamo as never, [read('apps', { tenant: 't', id: 'x' }, (item) => item.name)])).toEqual(['app']);
  expect(dynamo.sent[1]).toEqual({ RequestItems: { apps: { Keys: [{ tenant: 't', id: 'x' }], ConsistentRead: true } } });

  const throttled = { Responses: {}, UnprocessedKeys: { apps: { Keys: [{ tenant: 't', id: 'x' }] } } };
  const stuck = client([throttled, throttled, throttled, throttled, throttled]);
  await expect(getTogether(stuck as never, [read('apps', { tenant: 't', id: 'x' }, (item) => item.name)])).rejects.toThrow('BatchGetItem left keys unprocessed 4 times');
  expect(stuck.sent).toHaveLength(4);
});
