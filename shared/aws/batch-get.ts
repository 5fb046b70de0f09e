// Several items of one or more tables in one BatchGetItem round trip: each read names its table, key and how its item
// becomes a value, so the repositories keep owning their keys and item shapes while a caller reads them together.
import { BatchGetCommand, type DynamoDBDocumentClient, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, NativeAttributeValue>;

/** One item to read: where it is and what it becomes (undefined when there is no such item). */
export interface KeyedRead<T> {
  table: string;
  key: Item;
  decode: (item: Item) => T | undefined;
}

type Results<R extends readonly KeyedRead<unknown>[]> = { [I in keyof R]: R[I] extends KeyedRead<infer T> ? T | undefined : never };

/** How often unprocessed keys (DynamoDB's partial answer under throttling) are asked again before giving up. */
const MAX_ATTEMPTS = 4;
/** The wait before the second call; doubled before each further one (AWS's advice for unprocessed keys: back off). */
const FIRST_BACKOFF_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const keyString = (table: string, key: Item): string => JSON.stringify([table, Object.keys(key).sort().map((name) => [name, key[name]])]);

/**
 * Reads every item strongly consistent in one BatchGetItem (more only when DynamoDB leaves keys unprocessed), and
 * returns each decoded, in the order asked. At most 100 keys (DynamoDB's limit); a key asked twice is read once.
 */
export async function getTogether<R extends readonly KeyedRead<unknown>[]>(dynamo: Pick<DynamoDBDocumentClient, 'send'>, reads: R): Promise<Results<R>> {
  const found = new Map<string, Item>();
  let pending: Record<string, { Keys: Item[]; ConsistentRead: true }> = {};
  const asked = new Set<string>();
  for (const { table, key } of reads) {
    const id = keyString(table, key);
    if (asked.has(id)) continue;
    asked.add(id);
    (pending[table] ??= { Keys: [], ConsistentRead: true }).Keys.push(key);
  }
  for (let attempt = 1; Object.keys(pending).length > 0; attempt++) {
    if (attempt > MAX_ATTEMPTS) throw new Error(`BatchGetItem left keys unprocessed ${MAX_ATTEMPTS} times`);
    if (attempt > 1) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 2));
    const out = await dynamo.send(new BatchGetCommand({ RequestItems: pending }));
    for (const [table, items] of Object.entries(out.Responses ?? {})) {
      for (const item of items) {
        const read = reads.find((candidate) => candidate.table === table && Object.entries(candidate.key).every(([name, value]) => item[name] === value));
        if (read) found.set(keyString(table, read.key), item);
      }
    }
    pending = {};
    for (const [table, request] of Object.entries(out.UnprocessedKeys ?? {})) {
      if (request.Keys && request.Keys.length > 0) pending[table] = { Keys: request.Keys, ConsistentRead: true };
    }
  }
  return reads.map(({ table, key, decode }) => {
    const item = found.get(keyString(table, key));
    return item === undefined ? undefined : decode(item);
  }) as Results<R>;
}
