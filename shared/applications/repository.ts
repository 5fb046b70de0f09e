// DynamoDB storage of applications: the application item, a `name#<name>` lock item per name and a quota counter per tenant (docs/design.md).
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyedRead } from '../aws/batch-get';
import { transactWrite, TransactionCancelledError, type NamedTransactItems } from '../aws/transactions';
import { ConflictError, NotFoundError } from '../errors';
import { isServiceId, quotedId } from '../ids';
import { APPLICATIONS_QUOTA, quotaExceeded, quotaSlotFreed, quotaSlotTaken, type QuotaCounter, type QuotaLimits } from '../quotas';
import type { ApplicationCursor } from './cursor';
import type { Application, ApplicationStatus, ApplicationUpdateInput } from './types';

const BY_CREATED = 'byCreated';
const NAME_LOCK_PREFIX = 'name#';
/**
 * Id of the tenant's counter item `{tenant, id, count}`: the number of its applications, kept in the
 * transactions that create and delete them. Not a UUID, so it names no application, and without a
 * `createdKey` it stays out of the byCreated index (listing and count).
 */
export const APPLICATIONS_COUNTER_ID = 'quota#applications';
/** Application ids are UUIDs; anything else (a lock item's `name#...` id included) names no application. */
const isApplicationId = isServiceId;

interface ApplicationItem extends Application {
  createdKey: string;
}

export interface ApplicationListPage {
  items: Application[];
  hasNextPage: boolean;
}

/** The byCreated sort key: creation time first (newest-first listing), id to break ties. */
export const createdKeyOf = (app: Pick<Application, 'createdAt' | 'id'>) => `${app.createdAt}#${app.id}`;

function toApplication(item: Record<string, unknown>): Application {
  const { createdKey: _createdKey, ...app } = item as unknown as ApplicationItem;
  return app;
}

const errorName = (error: unknown) => (error as { name?: string } | undefined)?.name;

export class ApplicationRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly limits: QuotaLimits<'maxApplicationsPerTenant'>,
  ) {}

  private counterOf(tenant: string): QuotaCounter {
    return { table: this.table, key: { tenant, id: APPLICATIONS_COUNTER_ID } };
  }

  /**
   * Stores a new application; ConflictError when its name is taken in the tenant, QuotaExceededError when
   * the tenant has MAX_APPLICATIONS_PER_TENANT applications (the counter is part of the same transaction).
   */
  async create(app: Application, alongside: NamedTransactItems = {}): Promise<void> {
    const item: ApplicationItem = { ...app, createdKey: createdKeyOf(app) };
    const limit = this.limits().maxApplicationsPerTenant;
    try {
      await transactWrite(this.dynamo, {
        application: { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(id)' } },
        nameLock: {
          Put: {
            TableName: this.table,
            Item: { tenant: app.tenant, id: NAME_LOCK_PREFIX + app.name, appId: app.id },
            ConditionExpression: 'attribute_not_exists(id)',
          },
        },
        quota: quotaSlotTaken(limit, this.counterOf(app.tenant)),
        // Items of other tables written with it (its audit event): they stand or fall with the application.
        ...alongside,
      });
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
      const nameConflict = (message: string) => new ConflictError(message, { violations: [{ field: 'name', message }] });
      // A taken name is reported before a full tenant: the name has to change whatever the count.
      if (error.conditionFailed('nameLock')) throw nameConflict(`an application named ${app.name} already exists`);
      if (error.conditionFailed('quota')) throw quotaExceeded(APPLICATIONS_QUOTA, limit, app.tenant);
      // Still conflicting after the retries: another registration of this name is being written right now.
      if (error.conflicted('nameLock')) throw nameConflict(`another request is registering an application named ${app.name}; try again`);
      // Every registration of the tenant updates its counter: many at once can still collide after the retries.
      if (error.conflicted('quota')) throw new ConflictError(`other requests are registering applications in tenant ${app.tenant} right now; try again`);
      throw error;
    }
  }

  /** The application as one read of getTogether (the read of `get`, to go beside others in one round trip). */
  applicationRead(tenant: string, id: string): KeyedRead<Application> {
    return { table: this.table, key: { tenant, id }, decode: (item) => (isApplicationId(item.id) ? toApplication(item) : undefined) };
  }

  async get(tenant: string, id: string): Promise<Application | undefined> {
    if (!isApplicationId(id)) return undefined;
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { tenant, id }, ConsistentRead: true }));
    return out.Item ? toApplication(out.Item) : undefined;
  }

  /** Applies the update (null clears a field) and returns the application as it is now; NotFoundError when absent. */
  async update(tenant: string, id: string, input: ApplicationUpdateInput, now: string): Promise<Application> {
    if (!isApplicationId(id)) throw new NotFoundError(`application ${quotedId(id)} not found`);
    const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':updatedAt': now };
    const set = ['#updatedAt = :updatedAt'];
    const remove: string[] = [];
    for (const [field, value] of Object.entries(input)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      if (value === null) remove.push(`#${field}`);
      else {
        values[`:${field}`] = value;
        set.push(`#${field} = :${field}`);
      }
    }
    const expression = `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
    return this.updateExisting(tenant, id, expression, names, values);
  }

  /** Sets the status; NotFoundError when the application is absent. */
  async setStatus(tenant: string, id: string, status: ApplicationStatus): Promise<Application> {
    if (!isApplicationId(id)) throw new NotFoundError(`application ${quotedId(id)} not found`);
    return this.updateExisting(tenant, id, 'SET #status = :status', { '#status': 'status' }, { ':status': status });
  }

  /**
   * Sets the status to CONNECTED unless it already is (the timestamp keeps the first connection).
   * An absent application is left absent; the result says whether the application exists, so a
   * credential that outlived its application (pairing racing unregistering) can be refused.
   */
  async markConnected(tenant: string, id: string, timestamp: string): Promise<boolean> {
    if (!isApplicationId(id)) return false;
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { tenant, id },
          UpdateExpression: 'SET #status = :status',
          ConditionExpression: 'attribute_exists(createdKey) AND #status.#condition <> :connected',
          ExpressionAttributeNames: { '#status': 'status', '#condition': 'condition' },
          ExpressionAttributeValues: { ':status': { condition: 'CONNECTED', timestamp }, ':connected': 'CONNECTED' },
          // A failed condition then tells "already CONNECTED" (the item comes back) from "gone" (none does).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      return (error as { Item?: Record<string, unknown> }).Item?.createdKey !== undefined;
    }
  }

  /** Deletes the application and its name lock and frees its slot of the tenant's quota, together; NotFoundError when it is already gone. */
  async delete(app: Application, alongside: NamedTransactItems = {}): Promise<void> {
    try {
      await transactWrite(this.dynamo, {
        application: {
          Delete: { TableName: this.table, Key: { tenant: app.tenant, id: app.id }, ConditionExpression: 'attribute_exists(createdKey)' },
        },
        nameLock: {
          Delete: {
            TableName: this.table,
            Key: { tenant: app.tenant, id: NAME_LOCK_PREFIX + app.name },
            ConditionExpression: 'appId = :appId',
            ExpressionAttributeValues: { ':appId': app.id },
          },
        },
        // Once: the conditions above fail for a second delete of the same application.
        quota: quotaSlotFreed(this.counterOf(app.tenant)),
        ...alongside,
      });
    } catch (error) {
      // Either item gone means another request unregistered it first.
      if (error instanceof TransactionCancelledError && (error.conditionFailed('application') || error.conditionFailed('nameLock'))) {
        throw new NotFoundError(`application ${quotedId(app.id)} not found`);
      }
      throw error;
    }
  }

  /** A query of the tenant's applications in the creation-order index (lock and counter items are not in it). */
  private byCreated(tenant: string) {
    return {
      TableName: this.table,
      IndexName: BY_CREATED,
      KeyConditionExpression: '#tenant = :tenant',
      ExpressionAttributeNames: { '#tenant': 'tenant' },
      ExpressionAttributeValues: { ':tenant': tenant },
    };
  }

  /** One page of the tenant's applications, newest first, after the given position. */
  async list(tenant: string, first: number, after?: ApplicationCursor): Promise<ApplicationListPage> {
    const out = await this.dynamo.send(
      new QueryCommand({
        ...this.byCreated(tenant),
        ScanIndexForward: false,
        // One more than asked for tells whether another page exists without a second query.
        Limit: first + 1,
        ExclusiveStartKey: after ? { tenant, id: after.id, createdKey: after.createdKey } : undefined,
      }),
    );
    const items = (out.Items ?? []).map(toApplication);
    return { items: items.slice(0, first), hasNextPage: items.length > first };
  }

  /** How many applications the tenant has (lock and counter items are not in the index). */
  async count(tenant: string): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.dynamo.send(
        new QueryCommand({
          ...this.byCreated(tenant),
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }),
      );
      total += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return total;
  }

  private async updateExisting(
    tenant: string,
    id: string,
    expression: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<Application> {
    try {
      const out = await this.dynamo.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { tenant, id },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(createdKey)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toApplication(out.Attributes ?? {});
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') throw new NotFoundError(`application ${quotedId(id)} not found`);
      throw error;
    }
  }
}
