// Applications against DynamoDB Local: register, update, get, list with cursors and totalCount, unregister, status, tenant isolation, the name race.
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../../shared/config';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService, type CredentialRevoker } from '../../../shared/applications/service';
import type { Application } from '../../../shared/applications/types';
import { BadUserInputError, ConflictError, NotFoundError } from '../../../shared/errors';
import { freshTenant } from '../../support/local-aws';
import { aws } from '../../../functions/container';
import { noFollowUps } from '../../support/caller-trail';

const service = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));
const newName = () => `app-${randomUUID().slice(0, 8)}`;

async function storedItem(tenant: string, id: string) {
  const out = await aws.dynamo.send(new GetCommand({ TableName: config().applicationsTable, Key: { tenant, id }, ConsistentRead: true }));
  return out.Item;
}

async function registerMany(tenant: string, count: number): Promise<Application[]> {
  const apps: Application[] = [];
  for (let i = 0; i < count; i++) apps.push(await service.register(tenant, { name: `app-${i}` }));
  return apps;
}

/** Newest first: the order of the byCreated index (creation time, then id for the same millisecond). */
const newestFirst = (apps: Application[]) => [...apps].sort((a, b) => (`${b.createdAt}#${b.id}` < `${a.createdAt}#${a.id}` ? -1 : 1));

describe('ApplicationService (DynamoDB Local)', () => {
  describe('register and get', () => {
    it('stores every field, starts INITIAL at the creation time, and reads it back', async () => {
      const tenant = freshTenant();
      const input = { name: newName(), description: 'Orders', providerName: 'ACME', baseUrl: 'https://orders.example.com', labels: { env: 'prod', teams: ['a', 'b'] } };
      const app = await service.register(tenant, input);
      expect(app).toMatchObject({ ...input, tenant, status: { condition: 'INITIAL', timestamp: app.createdAt } });
      expect(app.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(app.updatedAt).toBe(app.createdAt);
      expect(await service.get(tenant, app.id)).toEqual(app);
    });

    it('writes the name lock item beside the application', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName() });
      expect(await storedItem(tenant, `name#${app.name}`)).toEqual({ tenant, id: `name#${app.name}`, appId: app.id });
    });

    it('refuses a second application with the same name in the tenant as CONFLICT', async () => {
      const tenant = freshTenant();
      const name = newName();
      await service.register(tenant, { name });
      await expect(service.register(tenant, { name, description: 'again' })).rejects.toThrow(new ConflictError(`an application named ${name} already exists`));
      expect((await service.list(tenant)).totalCount).toBe(1);
    });

    it('allows the same name in another tenant', async () => {
      const name = newName();
      await service.register(freshTenant(), { name });
      await expect(service.register(freshTenant(), { name })).resolves.toMatchObject({ name });
    });

    it('writes nothing for invalid input', async () => {
      const tenant = freshTenant();
      const name = newName();
      await expect(service.register(tenant, { name, baseUrl: 'not a url' })).rejects.toThrow(BadUserInputError);
      expect(await storedItem(tenant, `name#${name}`)).toBeUndefined();
      expect((await service.list(tenant)).totalCount).toBe(0);
      await expect(service.register(tenant, { name })).resolves.toMatchObject({ name });
    });

    it('answers undefined for unknown ids, lock-item ids and non-UUIDs', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName() });
      expect(await service.get(tenant, randomUUID())).toBeUndefined();
      expect(await service.get(tenant, `name#${app.name}`)).toBeUndefined();
      expect(await service.get(tenant, 'x'.repeat(5000))).toBeUndefined();
      await expect(service.require(tenant, randomUUID())).rejects.toThrow(NotFoundError);
    });
  });

  describe('update', () => {
    it('changes given fields, clears null ones, keeps absent ones, and bumps updatedAt', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName(), description: 'old', providerName: 'ACME', baseUrl: 'https://a.example.com', labels: { a: '1' } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const updated = await service.update(tenant, app.id, { description: 'new', baseUrl: null, labels: { b: ['2'] } });
      expect(updated).toMatchObject({ id: app.id, name: app.name, description: 'new', providerName: 'ACME', labels: { b: ['2'] }, createdAt: app.createdAt, status: app.status });
      expect(updated.baseUrl).toBeUndefined();
      expect(updated.updatedAt > app.updatedAt).toBe(true);
      expect(await service.get(tenant, app.id)).toEqual(updated);
    });

    it('is NOT_FOUND for an unknown id, a lock-item id, or another tenant', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName() });
      await expect(service.update(tenant, randomUUID(), { description: 'x' })).rejects.toThrow(NotFoundError);
      await expect(service.update(tenant, `name#${app.name}`, { description: 'x' })).rejects.toThrow(NotFoundError);
      await expect(service.update(freshTenant(), app.id, { description: 'x' })).rejects.toThrow(NotFoundError);
      expect(await storedItem(tenant, `name#${app.name}`)).toEqual({ tenant, id: `name#${app.name}`, appId: app.id });
      expect((await service.get(tenant, app.id))?.description).toBeUndefined();
    });

    it('changes nothing for invalid input', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName(), description: 'keep' });
      await expect(service.update(tenant, app.id, { description: 'new', baseUrl: 'ftp://x' })).rejects.toThrow(BadUserInputError);
      expect(await service.get(tenant, app.id)).toEqual(app);
    });
  });

  describe('list', () => {
    it('lists newest first, page by page, with totalCount and cursors', async () => {
      const tenant = freshTenant();
      const expected = newestFirst(await registerMany(tenant, 5));
      const first = await service.list(tenant, { first: 2 });
      expect(first.totalCount).toBe(5);
      expect(first.data.map((a) => a.id)).toEqual(expected.slice(0, 2).map((a) => a.id));
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await service.list(tenant, { first: 2, after: first.pageInfo.endCursor });
      expect(second.data.map((a) => a.id)).toEqual(expected.slice(2, 4).map((a) => a.id));
      expect(second.pageInfo.hasNextPage).toBe(true);
      const third = await service.list(tenant, { first: 2, after: second.pageInfo.endCursor });
      expect(third.data.map((a) => a.id)).toEqual(expected.slice(4).map((a) => a.id));
      expect(third.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
      expect(third.totalCount).toBe(5);
    });

    it('says there is no next page when the last page is exactly full', async () => {
      const tenant = freshTenant();
      await registerMany(tenant, 2);
      const page = await service.list(tenant, { first: 2 });
      expect(page.data).toHaveLength(2);
      expect(page.pageInfo.hasNextPage).toBe(false);
    });

    it('lists up to 50 by default and accepts 1..100', async () => {
      const tenant = freshTenant();
      await registerMany(tenant, 3);
      expect((await service.list(tenant)).data).toHaveLength(3);
      expect((await service.list(tenant, { first: null })).data).toHaveLength(3);
      expect((await service.list(tenant, { first: 1 })).data).toHaveLength(1);
      expect((await service.list(tenant, { first: 100 })).data).toHaveLength(3);
      for (const first of [0, -1, 101, 2.5]) await expect(service.list(tenant, { first })).rejects.toThrow(BadUserInputError);
    });

    it('answers an empty page for a tenant without applications', async () => {
      expect(await service.list(freshTenant())).toEqual({ data: [], totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it('refuses a garbage cursor as BAD_USER_INPUT', async () => {
      await expect(service.list(freshTenant(), { after: 'garbage' })).rejects.toThrow(BadUserInputError);
    });

    it("never shows another tenant's applications, even with that tenant's cursor", async () => {
      const mine = freshTenant();
      const theirs = freshTenant();
      const own = await registerMany(mine, 2);
      await registerMany(theirs, 3);
      const theirPage = await service.list(theirs, { first: 1 });
      const page = await service.list(mine, { after: theirPage.pageInfo.endCursor });
      for (const app of page.data) expect(app.tenant).toBe(mine);
      expect((await service.list(mine)).data.map((a) => a.id).sort()).toEqual(own.map((a) => a.id).sort());
      expect((await service.list(mine)).totalCount).toBe(2);
    });

    it('counts more applications than one page', async () => {
      const tenant = freshTenant();
      await Promise.all(Array.from({ length: 120 }, (_, i) => service.register(tenant, { name: `bulk-${i}` })));
      const page = await service.list(tenant, { first: 100 });
      expect(page.totalCount).toBe(120);
      expect(page.data).toHaveLength(100);
      const rest = await service.list(tenant, { first: 100, after: page.pageInfo.endCursor });
      expect(rest.data).toHaveLength(20);
      expect(new Set([...page.data, ...rest.data].map((a) => a.id)).size).toBe(120);
    });
  });

  describe('unregister', () => {
    it('revokes the credentials first, then deletes the application and its name lock', async () => {
      const tenant = freshTenant();
      const calls: string[] = [];
      const revoker: CredentialRevoker = {
        revokeApplicationCredentials: async (t, appId) => {
          calls.push(`${t}/${appId}`);
          expect(await storedItem(t, appId)).toBeDefined();
        },
      };
      const withRevoker = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config), [revoker]);
      const app = await withRevoker.register(tenant, { name: newName() });
      expect(await withRevoker.unregister(tenant, app.id, noFollowUps)).toEqual(app);
      expect(calls).toEqual([`${tenant}/${app.id}`]);
      expect(await storedItem(tenant, app.id)).toBeUndefined();
      expect(await storedItem(tenant, `name#${app.name}`)).toBeUndefined();
      // The name is free again.
      await expect(withRevoker.register(tenant, { name: app.name })).resolves.toMatchObject({ name: app.name });
    });

    it('leaves the application in place when revoking fails, so a retry can finish', async () => {
      const tenant = freshTenant();
      const failing = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config), [
        { revokeApplicationCredentials: () => Promise.reject(new Error('secrets manager unavailable')) },
      ]);
      const app = await failing.register(tenant, { name: newName() });
      await expect(failing.unregister(tenant, app.id, noFollowUps)).rejects.toThrow('secrets manager unavailable');
      expect(await service.get(tenant, app.id)).toEqual(app);
    });

    it('is NOT_FOUND for an unknown id, a second time, or another tenant', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName() });
      await expect(service.unregister(freshTenant(), app.id, noFollowUps)).rejects.toThrow(NotFoundError);
      await expect(service.unregister(tenant, randomUUID(), noFollowUps)).rejects.toThrow(NotFoundError);
      await service.unregister(tenant, app.id, noFollowUps);
      await expect(service.unregister(tenant, app.id, noFollowUps)).rejects.toThrow(NotFoundError);
    });
  });

  describe('status', () => {
    it('markConnected sets CONNECTED once, keeps the first connection time, and reports the application exists', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName() });
      await expect(service.markConnected(tenant, app.id)).resolves.toBe(true);
      const connected = await service.get(tenant, app.id);
      expect(connected?.status.condition).toBe('CONNECTED');
      expect(connected!.status.timestamp >= app.createdAt).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await expect(service.markConnected(tenant, app.id)).resolves.toBe(true);
      expect((await service.get(tenant, app.id))?.status).toEqual(connected?.status);
    });

    it('markConnected of an application that is gone creates nothing and reports it gone', async () => {
      const tenant = freshTenant();
      const id = randomUUID();
      await expect(service.markConnected(tenant, id)).resolves.toBe(false);
      expect(await storedItem(tenant, id)).toBeUndefined();
      const app = await service.register(tenant, { name: newName() });
      await service.unregister(tenant, app.id, noFollowUps);
      await expect(service.markConnected(tenant, app.id)).resolves.toBe(false);
      await expect(service.markConnected(tenant, 'name#' + app.name)).resolves.toBe(false);
    });

    it('setStatus sets any condition with a fresh timestamp; NOT_FOUND when absent', async () => {
      const tenant = freshTenant();
      const app = await service.register(tenant, { name: newName() });
      await service.markConnected(tenant, app.id);
      const reset = await service.setStatus(tenant, app.id, 'INITIAL');
      expect(reset.status.condition).toBe('INITIAL');
      expect(await service.get(tenant, app.id)).toEqual(reset);
      await expect(service.setStatus(tenant, randomUUID(), 'FAILED')).rejects.toThrow(NotFoundError);
      await expect(service.setStatus(freshTenant(), app.id, 'FAILED')).rejects.toThrow(NotFoundError);
    });
  });

  it('10 concurrent registrations of one name: exactly one succeeds, the rest are CONFLICT', async () => {
    const tenant = freshTenant();
    const name = newName();
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => service.register(tenant, { name, description: `attempt ${i}` })));
    const won = outcomes.filter((o): o is PromiseFulfilledResult<Application> => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const outcome of lost) expect(outcome.reason).toBeInstanceOf(ConflictError);
    const page = await service.list(tenant);
    expect(page.totalCount).toBe(1);
    expect(page.data[0].id).toBe(won[0].value.id);
    expect(await storedItem(tenant, `name#${name}`)).toEqual({ tenant, id: `name#${name}`, appId: won[0].value.id });
  });
});
