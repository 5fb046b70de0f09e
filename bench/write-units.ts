// The write units DynamoDB bills for a write, by AWS's published rules, worked out from the items before and after it.
//
// DynamoDB Local (1.25.1, the jar this project runs) reports single-item writes the way AWS bills them, but not
// transactions. Its TransactWriteItems doubles each item's figure twice (a small Put reports 4 units; AWS bills 2), then
// merges a table's per-item figures through a set, so equal figures count once (three small Puts report 4; AWS bills
// 6). Its reported figure for a transaction therefore rewards stuffing more items into one transaction and punishes
// every table touched. The bench prices what AWS bills instead:
// - a write of an item: 1 unit per KB (rounded up, at least 1) of the larger of the item before and after it; a
//   delete, of the item before it (1 when there was none);
// - each global secondary index the write changes: the same for the item's projected copy (a copy whose projection
//   did not change costs nothing; a copy whose index keys changed is a delete and a put);
// - in TransactWriteItems, every one of those doubled, index copies included (AWS documents the doubling for the
//   items; that it applies to their index copies too is this bench's assumption, the dearer reading), and a
//   ConditionCheck billed like a write of the item it checks.
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoItemBytes } from './cost-model';

type Image = Record<string, unknown>;

/** What a table's write costs depend on: its key, and each GSI's key and projection. */
export interface TableShape {
  keys: string[];
  indexes: Array<{ name: string; keys: string[]; projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; include: string[] }>;
}

/** One item a write command touches: by its key, or by the whole item a Put writes. */
export interface WriteTarget {
  table: string;
  kind: 'write' | 'delete' | 'check';
  key?: Image;
  item?: Image;
}

/** Units of one write: the table's and each index's (by name), already multiplied for a transaction. */
export interface WriteUnits {
  table: number;
  indexes: Record<string, number>;
}

const units = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** A stable text of an item, so two images compare equal exactly when DynamoDB would store the same thing. */
function canonical(value: unknown): string {
  if (value instanceof Set) return `set(${[...value].map(canonical).sort().join(',')})`;
  if (value instanceof Uint8Array) return `bin(${Buffer.from(value).toString('base64')})`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((name) => `${JSON.stringify(name)}:${canonical((value as Image)[name])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** The index's copy of the item, or undefined when the item lacks one of the index's keys (a sparse index skips it). */
function projected(image: Image | undefined, shape: TableShape, index: TableShape['indexes'][number]): Image | undefined {
  if (!image || index.keys.some((key) => image[key] === undefined)) return undefined;
  if (index.projection === 'ALL') return image;
  const kept = new Set([...shape.keys, ...index.keys, ...(index.projection === 'INCLUDE' ? index.include : [])]);
  return Object.fromEntries(Object.entries(image).filter(([name]) => kept.has(name)));
}

function indexUnits(before: Image | undefined, after: Image | undefined, keys: string[]): number {
  if (!before && !after) return 0;
  if (!before) return units(dynamoItemBytes(after!));
  if (!after) return units(dynamoItemBytes(before));
  if (keys.some((key) => canonical(before[key]) !== canonical(after[key]))) return units(dynamoItemBytes(before)) + units(dynamoItemBytes(after));
  if (canonical(before) === canonical(after)) return 0;
  return units(Math.max(dynamoItemBytes(before), dynamoItemBytes(after)));
}

/** What one write of one item costs, from the item before and after it. */
export function writeUnitsOf(shape: TableShape, kind: WriteTarget['kind'], before: Image | undefined, after: Image | undefined, options: { transaction: boolean }): WriteUnits {
  const factor = options.transaction ? 2 : 1;
  const size = (image?: Image) => (image ? dynamoItemBytes(image) : 0);
  const table = kind === 'write' ? units(Math.max(size(before), size(after))) : units(size(before));
  const indexes: Record<string, number> = {};
  if (kind !== 'check') {
    for (const index of shape.indexes) {
      const cost = indexUnits(projected(before, shape, index), projected(after, shape, index), index.keys);
      if (cost > 0) indexes[index.name] = cost * factor;
    }
  }
  return { table: table * factor, indexes };
}

/**
 * A key attribute as the command carries it: the document client's plain string (what the service sends), or the
 * low-level client's `{S: ...}` (every key of this project's tables is a string).
 */
const keyValue = (value: unknown): unknown => (value !== null && typeof value === 'object' && typeof (value as { S?: unknown }).S === 'string' ? (value as { S: string }).S : value);

/** The items a write command touches (none for a read). */
export function writeTargets(command: string, input: Record<string, unknown>): WriteTarget[] {
  const table = String(input.TableName);
  switch (command) {
    case 'PutItem':
      return [{ table, item: input.Item as Image, kind: 'write' }];
    case 'UpdateItem':
      return [{ table, key: input.Key as Image, kind: 'write' }];
    case 'DeleteItem':
      return [{ table, key: input.Key as Image, kind: 'delete' }];
    case 'TransactWriteItems':
      return (input.TransactItems as Array<Record<string, { TableName: string; Item?: Image; Key?: Image }>>).map((entry) => {
        const [action, body] = Object.entries(entry)[0]!;
        const kind = action === 'Delete' ? 'delete' : action === 'ConditionCheck' ? 'check' : 'write';
        return body.Item ? { table: body.TableName, item: body.Item, kind } : { table: body.TableName, key: body.Key!, kind };
      });
    case 'BatchWriteItem':
      return Object.entries(input.RequestItems as Record<string, Array<{ PutRequest?: { Item: Image }; DeleteRequest?: { Key: Image } }>>).flatMap(([name, requests]) =>
        requests.map((request): WriteTarget => (request.PutRequest
          ? { table: name, item: request.PutRequest.Item, kind: 'write' }
          : { table: name, key: request.DeleteRequest!.Key, kind: 'delete' })),
      );
    default:
      return [];
  }
}

/** The table's key and each GSI's key and projection, as DynamoDB describes them. */
export async function tableShapeOf(client: Pick<DynamoDBClient, 'send'>, table: string): Promise<TableShape> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  return {
    keys: (Table?.KeySchema ?? []).map((key) => key.AttributeName!),
    indexes: (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
      name: index.IndexName!,
      keys: (index.KeySchema ?? []).map((key) => key.AttributeName!),
      projection: (index.Projection?.ProjectionType ?? 'ALL') as TableShape['indexes'][number]['projection'],
      include: index.Projection?.NonKeyAttributes ?? [],
    })),
  };
}

/**
 * Works out a write command's billed units by reading each item it touches before and after it, through a client of
 * its own (so the reads are not metered), and the tables' shapes once each.
 */
export class WriteUnitCounter {
  private readonly shapes = new Map<string, Promise<TableShape>>();
  private readonly dynamo: DynamoDBDocumentClient;

  constructor(private readonly client: DynamoDBClient = new DynamoDBClient({})) {
    this.dynamo = DynamoDBDocumentClient.from(client);
  }

  private shape(table: string): Promise<TableShape> {
    let shape = this.shapes.get(table);
    if (!shape) {
      shape = tableShapeOf(this.client, table);
      this.shapes.set(table, shape);
    }
    return shape;
  }

  private async images(targets: WriteTarget[]): Promise<Array<Image | undefined>> {
    return Promise.all(
      targets.map(async ({ table, key, item }) => {
        const keys = (await this.shape(table)).keys;
        const Key = Object.fromEntries(keys.map((name) => [name, keyValue((key ?? item!)[name])]));
        return (await this.dynamo.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }))).Item;
      }),
    );
  }

  /** The targets of a write command with their items read now (before it runs), or undefined for a command that writes nothing. */
  async before(command: string, input: Record<string, unknown>): Promise<{ targets: WriteTarget[]; before: Array<Image | undefined> } | undefined> {
    const targets = writeTargets(command, input);
    if (targets.length === 0) return undefined;
    return { targets, before: await this.images(targets) };
  }

  /**
   * The units of the write whose `before` this is, reading its items again now that it has run; `transactionIndexUnits`
   * is the part that is index copies written by a transaction (doubled here; half of it if AWS bills them once).
   */
  async after(command: string, read: { targets: WriteTarget[]; before: Array<Image | undefined> }): Promise<{ units: number; transactionIndexUnits: number }> {
    const after = await this.images(read.targets);
    const transaction = command === 'TransactWriteItems';
    let units = 0;
    let transactionIndexUnits = 0;
    for (const [position, target] of read.targets.entries()) {
      const cost = writeUnitsOf(await this.shape(target.table), target.kind, read.before[position], after[position], { transaction });
      const indexes = Object.values(cost.indexes).reduce((sum, value) => sum + value, 0);
      units += cost.table + indexes;
      if (transaction) transactionIndexUnits += indexes;
      // `BENCH_WRITE_UNIT_ITEMS=1 npm run bench -- "AWS calls"` shows where each write's units go, item by item.
      if (process.env.BENCH_WRITE_UNIT_ITEMS) {
        const key = target.key ?? { sk: target.item?.sk ?? '' };
        console.error(`    write units: ${command} ${target.kind} ${target.table} ${JSON.stringify(key).slice(0, 70)} ${read.before[position] ? 'existing' : 'new'}: ${JSON.stringify(cost)}`);
      }
    }
    return { units, transactionIndexUnits };
  }
}
