// SystemAuth repository (and the OAuth clients' quota of OAuthClientRecords) against DynamoDB Local: conditional create, tenant scoping, the byApplication index, updates and deletes.
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCancelledError } from '../../../shared/aws/transactions';
import { config } from '../../../shared/config';
import { applicationKey, oauthClientsCounterKey } from '../../../shared/system-auths/items';
import type { SystemAuth } from '../../../shared/system-auths/types';
import { freshTenant } from '../../support/local-aws';
import { rejection } from '../../support/promises';
import { oauthClientRecords, systemAuths } from '../../support/stores';
import { aws } from '../../../functions/container';

function applicationAuth(tenant: string, appId: string, overrides: Partial<SystemAuth> = {}): SystemAuth {
  return {
    id: randomUUID(),
    tenant,
    kind: 'APPLICATION',
    type: 'OAUTH2_CLIENT_CREDENTIALS',
    appId,
    status: 'ACTIVE',
    scopes: ['application:read'],
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

async function liveOAuthClientsOf(tenant: string): Promise<number | undefined> {
  const out = await aws.dynamo.send(new GetCommand({ TableName: config().systemAuthsTable, Key: oauthClientsCounterKey(tenant), ConsistentRead: true }));
  return out.Item?.count;
}

describe('SystemAuth repository', () => {
  it('stores a SystemAuth and reads it back unchanged', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await systemAuths.create(auth);
    await expect(systemAuths.get(auth.id)).resolves.toEqual(auth);
  });

  it('refuses to overwrite an existing id', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID(), { type: 'CLIENT_CERTIFICATE', status: 'PENDING' });
    await systemAuths.create(auth);
    await expect(systemAuths.create({ ...auth, tenant: freshTenant() })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await systemAuths.get(auth.id))?.tenant).toBe(auth.tenant);
  });

  it('refuses to overwrite an existing id with an OAuth client, whose write is a transaction with its quota counter', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await oauthClientRecords.create(auth);
    const refused = await rejection(oauthClientRecords.create({ ...auth, tenant: freshTenant() }));
    expect(refused).toBeInstanceOf(TransactionCancelledError);
    expect((refused as TransactionCancelledError).failedItems).toEqual(['systemAuth']);
    expect((await systemAuths.get(auth.id))?.tenant).toBe(auth.tenant);
  });

  it('hides a SystemAuth from other tenants', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await systemAuths.create(auth);
    await expect(systemAuths.getOfTenant(auth.tenant, auth.id)).resolves.toEqual(auth);
    await expect(systemAuths.getOfTenant(freshTenant(), auth.id)).resolves.toBeUndefined();
    await expect(systemAuths.get(randomUUID())).resolves.toBeUndefined();
  });

  it('lists the SystemAuths of one application only, without its certificate items', async () => {
    const tenant = freshTenant();
    const appId = randomUUID();
    const mine = [applicationAuth(tenant, appId), applicationAuth(tenant, appId, { type: 'CLIENT_CERTIFICATE' })];
    for (const auth of mine) await systemAuths.create(auth);
    await systemAuths.create(applicationAuth(tenant, randomUUID()));
    await systemAuths.create(applicationAuth(freshTenant(), appId));
    // A certificate item shares the id and the index key of its SystemAuth.
    await aws.dynamo.send(new PutCommand({
      TableName: config().systemAuthsTable,
      Item: { id: mine[1].id, sk: 'CERT#00ff', tenant, appId, appKey: applicationKey(tenant, appId), serialNumber: '01' },
    }));
    const listed = await systemAuths.listOfApplication(tenant, appId);
    expect(listed.sort((a, b) => a.id.localeCompare(b.id))).toEqual(mine.sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('records lastUsedAt, and reports a missing SystemAuth instead of creating one', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await systemAuths.create(auth);
    const at = new Date('2030-01-02T03:04:05.000Z');
    await expect(systemAuths.markUsed(auth.id, at)).resolves.toBe(true);
    expect((await systemAuths.get(auth.id))?.lastUsedAt).toBe(at.toISOString());
    const missing = randomUUID();
    await expect(systemAuths.markUsed(missing)).resolves.toBe(false);
    await expect(systemAuths.get(missing)).resolves.toBeUndefined();
  });

  it('updates the status within the tenant only', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await systemAuths.create(auth);
    await expect(systemAuths.updateStatus(freshTenant(), auth.id, 'REVOKED')).resolves.toBeUndefined();
    expect((await systemAuths.get(auth.id))?.status).toBe('ACTIVE');
    await expect(systemAuths.updateStatus(auth.tenant, auth.id, 'REVOKED')).resolves.toEqual({ ...auth, status: 'REVOKED' });
    await expect(systemAuths.updateStatus(auth.tenant, randomUUID(), 'REVOKED')).resolves.toBeUndefined();
  });

  it('counts live OAuth clients per tenant: creating one takes a slot, certificate SystemAuths take none', async () => {
    const tenant = freshTenant();
    await oauthClientRecords.create(applicationAuth(tenant, randomUUID()));
    await oauthClientRecords.create(applicationAuth(tenant, randomUUID(), { kind: 'ADMIN', appId: undefined }));
    await systemAuths.create(applicationAuth(tenant, randomUUID(), { type: 'CLIENT_CERTIFICATE', status: 'PENDING' }));
    expect(await liveOAuthClientsOf(tenant)).toBe(2);
    // Through the table's common writer an OAuth client is not counted: OAuthClientRecords is its type's writer.
    await expect(oauthClientRecords.create(applicationAuth(tenant, randomUUID(), { type: 'CLIENT_CERTIFICATE' }))).rejects.toThrow(/not an OAuth client/);
  });

  it('OAuthClientRecords.revoke sets REVOKED and gives the slot back once; another tenant, a certificate SystemAuth or an unknown id change nothing', async () => {
    const tenant = freshTenant();
    const auth = applicationAuth(tenant, randomUUID());
    const certificate = applicationAuth(tenant, randomUUID(), { type: 'CLIENT_CERTIFICATE', status: 'ACTIVE' });
    await oauthClientRecords.create(auth);
    await systemAuths.create(certificate);
    expect(await liveOAuthClientsOf(tenant)).toBe(1);

    await expect(oauthClientRecords.revoke(freshTenant(), auth.id)).resolves.toBe(false);
    await expect(oauthClientRecords.revoke(tenant, certificate.id)).resolves.toBe(false);
    await expect(oauthClientRecords.revoke(tenant, randomUUID())).resolves.toBe(false);
    expect(await liveOAuthClientsOf(tenant)).toBe(1);
    expect((await systemAuths.get(certificate.id))?.status).toBe('ACTIVE');

    const outcomes = await Promise.all(Array.from({ length: 5 }, () => oauthClientRecords.revoke(tenant, auth.id)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect((await systemAuths.get(auth.id))?.status).toBe('REVOKED');
    expect(await liveOAuthClientsOf(tenant)).toBe(0);
  });

  it('deletes only when tenant and type match, and returns what it deleted', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await systemAuths.create(auth);
    await expect(systemAuths.delete(auth.id, { tenant: freshTenant() })).resolves.toBeUndefined();
    await expect(systemAuths.delete(auth.id, { type: 'CLIENT_CERTIFICATE' })).resolves.toBeUndefined();
    await expect(systemAuths.get(auth.id)).resolves.toEqual(auth);
    await expect(systemAuths.delete(auth.id, { tenant: auth.tenant, type: 'OAUTH2_CLIENT_CREDENTIALS' })).resolves.toEqual(auth);
    await expect(systemAuths.get(auth.id)).resolves.toBeUndefined();
    await expect(systemAuths.delete(auth.id)).resolves.toBeUndefined();
  });
});
