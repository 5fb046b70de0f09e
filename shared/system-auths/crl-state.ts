// The CRL builders' shared state in the SystemAuths table: the CRL number counter, and per CA a build lease and the last build.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One counter for every CA of the stage: a CRL number only grows, across concurrent builders and CA rotation alike. */
const NUMBER_KEY = { id: 'CRL', sk: 'NUMBER' } as const;
const buildKey = (caId: string) => ({ id: `CRL#${caId}`, sk: 'BUILD' });

const isConditionalFailure = (error: unknown) => (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

export interface LastBuild {
  builtAt: Date;
  crlNumber: bigint;
}

export class CrlState {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The next CRL number: an atomic ADD, so two builders never get the same one and a later one is always larger. */
  async nextNumber(): Promise<bigint> {
    const out = await this.client.send(
      new UpdateCommand({ TableName: this.table, Key: NUMBER_KEY, UpdateExpression: 'ADD crlNumber :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'UPDATED_NEW' }),
    );
    return BigInt(out.Attributes?.crlNumber as number);
  }

  /**
   * Takes CA `caId`'s build lease for `leaseMs` unless another builder holds it: one build at a time per CA, so a burst of
   * revocation triggers costs one build (and one Sign) at a time. A builder that dies leaves it to expire.
   */
  async acquire(caId: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: buildKey(caId),
          UpdateExpression: 'SET leaseUntil = :until, leaseOwner = :owner',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':until': now.getTime() + leaseMs, ':owner': owner, ':now': now.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** Gives the lease back (only the owner's), recording the build when there was one. */
  async release(caId: string, owner: string, build?: LastBuild): Promise<void> {
    const recorded = build
      ? { expression: ', builtAt = :builtAt, crlNumber = :number', values: { ':builtAt': build.builtAt.toISOString(), ':number': Number(build.crlNumber) } }
      : { expression: '', values: {} };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: buildKey(caId),
          UpdateExpression: `REMOVE leaseUntil, leaseOwner SET releasedAt = :now${recorded.expression}`,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':now': new Date().toISOString(), ...recorded.values },
        }),
      );
    } catch (error) {
      // The lease ran out and another builder took it: that one records its own build.
      if (!isConditionalFailure(error)) throw error;
    }
  }

  /** The last successful build of CA `caId`, if any. */
  async lastBuild(caId: string): Promise<LastBuild | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: buildKey(caId), ConsistentRead: true }));
    if (typeof out.Item?.builtAt !== 'string') return undefined;
    return { builtAt: new Date(out.Item.builtAt), crlNumber: BigInt(out.Item.crlNumber as number) };
  }
}
