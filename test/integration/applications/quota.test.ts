// The per-tenant quota of applications against DynamoDB Local: refused past the limit with nothing written, never exceeded by concurrent registrations, freed by unregistering, invisible to listing.
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ApplicationRepository, APPLICATIONS_COUNTER_ID } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import type { Application } from '../../../shared/applications/types';
import { TRANSACTION_RETRY } from '../../../shared/aws/transactions';
import { config } from '../../../shared/config';
import { ConflictError, QuotaExceededError } from '../../../shared/errors';
import { freshTenant } from '../../support/local-aws';
import { rejection } from '../../support/promises';
import { withSettings } from '../../support/settings';
import { injectFailure } from '../pairing/aws-failures';
import { aws } from '../../../functions/container';
import { noFollowUps } from '../../support/caller-trail';

const LIMIT = 3;
withSettings({ MAX_APPLICATIONS_PER_TENANT: String(LIMIT) });

const service = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));
const newName = () => `app-${randomUUID().slice(0, 8)}`;

async function storedItem(tenant: string, id: string) {
  const out = await aws.dynamo.send(new GetCommand({ TableName: config().applicationsTable, Key: { tenant, id }, ConsistentRead: true }));
  return out.Item;
}

const counterOf = async (tenant: string) => (await storedItem(tenant, APPLICATIONS_COUNTER_ID))?.count;

async function fill(tenant: string): Promise<Application[]> {
  const apps: Application[] = [];
  for (let i = 0; i < LIMIT; i++) apps.push(await service.register(tenant, { name: newName() }));
  return apps;
}

describe('applications per tenant (MAX_APPLICATIONS_PER_TENANT)', () => {
  it('refuses one more application with a message naming the limit and the setting, and writes nothing for it', async () => {
    const tenant = freshTenant();
    await fill(tenant);
    const name = newName();
    const refused = await rejection(service.register(tenant, { name }));
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).not.toBeInstanceOf(ConflictError);
    expect(refused).toMatchObject({
      name: 'QuotaExceededError',
      code: 'CONFLICT',
      message: `tenant ${tenant} has reached its limit of ${LIMIT} applications (MAX_APPLICATIONS_PER_TENANT); unregister one first`,
    });
    expect(await storedItem(tenant, `name#${name}`)).toBeUndefined();
    expect((await service.list(tenant)).totalCount).toBe(LIMIT);
    expect(await counterOf(tenant)).toBe(LIMIT);
    // Other tenants have quotas of their own.
    await expect(service.register(freshTenant(), { name })).resolves.toMatchObject({ name });
  });

  it('10 concurrent registrations with room for 3: exactly 3 succeed, the rest are refused by the quota', async () => {
    const tenant = freshTenant();
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => service.register(tenant, { name: newName() })));
    const won = outcomes.filter((o): o is PromiseFulfilledResult<Application> => o.status === 'fulfilled').map((o) => o.value);
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
    expect(won).toHaveLength(LIMIT);
    expect(lost).toHaveLength(10 - LIMIT);
    for (const reason of lost) expect(reason).toBeInstanceOf(QuotaExceededError);
    const page = await service.list(tenant);
    expect(page.totalCount).toBe(LIMIT);
    expect(page.data.map((a) => a.id).sort()).toEqual(won.map((a) => a.id).sort());
    expect(await counterOf(tenant)).toBe(LIMIT);
  });

  it('unregistering frees a slot, once', async () => {
    const tenant = freshTenant();
    const [first] = await fill(tenant);
    await expect(service.register(tenant, { name: newName() })).rejects.toBeInstanceOf(QuotaExceededError);

    await service.unregister(tenant, first.id, noFollowUps);
    // A second unregistering of the same application is NOT_FOUND and frees nothing more.
    await expect(service.unregister(tenant, first.id, noFollowUps)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await counterOf(tenant)).toBe(LIMIT - 1);
    await expect(service.register(tenant, { name: newName() })).resolves.toMatchObject({ tenant });
    await expect(service.register(tenant, { name: newName() })).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('reports a taken name before a full tenant', async () => {
    const tenant = freshTenant();
    const [first] = await fill(tenant);
    const refused = await rejection(service.register(tenant, { name: first.name }));
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toBe(`an application named ${first.name} already exists`);
  });

  it('keeps the counter item out of listing, count and reads by id', async () => {
    const tenant = freshTenant();
    const apps = await fill(tenant);
    expect(await storedItem(tenant, APPLICATIONS_COUNTER_ID)).toEqual({ tenant, id: APPLICATIONS_COUNTER_ID, count: LIMIT });
    const page = await service.list(tenant, { first: 100 });
    expect(page.totalCount).toBe(LIMIT);
    expect(page.data.map((a) => a.id).sort()).toEqual(apps.map((a) => a.id).sort());
    expect(await service.get(tenant, APPLICATIONS_COUNTER_ID)).toBeUndefined();
    await expect(service.update(tenant, APPLICATIONS_COUNTER_ID, { description: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.markConnected(tenant, APPLICATIONS_COUNTER_ID)).resolves.toBe(false);
    expect(await storedItem(tenant, APPLICATIONS_COUNTER_ID)).toEqual({ tenant, id: APPLICATIONS_COUNTER_ID, count: LIMIT });
  });

  it('answers CONFLICT "try again" when the counter stays contended through every retry (AWS cancels concurrent transactions on one item)', async () => {
    const tenant = freshTenant();
    const contended = Object.assign(new Error('Transaction cancelled'), {
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'None' }, { Code: 'TransactionConflict' }],
    });
    const failure = injectFailure(aws.dynamo, { command: 'TransactWriteItemsCommand', moment: 'before-sending', times: TRANSACTION_RETRY.attempts }, contended);
    let refused: Error;
    try {
      refused = await rejection(service.register(tenant, { name: newName() }));
    } finally {
      failure.remove();
    }
    expect(failure.seen).toHaveLength(TRANSACTION_RETRY.attempts);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toBe(`other requests are registering applications in tenant ${tenant} right now; try again`);
    expect((await service.list(tenant)).totalCount).toBe(0);
  });
});
