// SystemAuth repository against DynamoDB Local: conditional create, tenant scoping, the byApplication index, updates and deletes.
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../../../shared/aws/clients';
import { config } from '../../../shared/config';
import {
  applicationKey,
  createSystemAuth,
  deleteSystemAuth,
  getSystemAuth,
  getSystemAuthOfTenant,
  listSystemAuthsOfApplication,
  markSystemAuthUsed,
  updateSystemAuthStatus,
} from '../../../shared/system-auths/repository';
import type { SystemAuth } from '../../../shared/system-auths/types';
import { freshTenant } from '../../support/local-aws';

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

describe('SystemAuth repository', () => {
  it('stores a SystemAuth and reads it back unchanged', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await createSystemAuth(auth);
    await expect(getSystemAuth(auth.id)).resolves.toEqual(auth);
  });

  it('refuses to overwrite an existing id', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await createSystemAuth(auth);
    await expect(createSystemAuth({ ...auth, tenant: freshTenant() })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await getSystemAuth(auth.id))?.tenant).toBe(auth.tenant);
  });

  it('hides a SystemAuth from other tenants', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await createSystemAuth(auth);
    await expect(getSystemAuthOfTenant(auth.tenant, auth.id)).resolves.toEqual(auth);
    await expect(getSystemAuthOfTenant(freshTenant(), auth.id)).resolves.toBeUndefined();
    await expect(getSystemAuth(randomUUID())).resolves.toBeUndefined();
  });

  it('lists the SystemAuths of one application only, without its certificate items', async () => {
    const tenant = freshTenant();
    const appId = randomUUID();
    const mine = [applicationAuth(tenant, appId), applicationAuth(tenant, appId, { type: 'CLIENT_CERTIFICATE' })];
    for (const auth of mine) await createSystemAuth(auth);
    await createSystemAuth(applicationAuth(tenant, randomUUID()));
    await createSystemAuth(applicationAuth(freshTenant(), appId));
    // A certificate item shares the id and the index key of its SystemAuth.
    await dynamo().send(new PutCommand({
      TableName: config().systemAuthsTable,
      Item: { id: mine[1].id, sk: 'CERT#00ff', tenant, appId, appKey: applicationKey(tenant, appId), serialNumber: '01' },
    }));
    const listed = await listSystemAuthsOfApplication(tenant, appId);
    expect(listed.sort((a, b) => a.id.localeCompare(b.id))).toEqual(mine.sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('records lastUsedAt, and reports a missing SystemAuth instead of creating one', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await createSystemAuth(auth);
    const at = new Date('2030-01-02T03:04:05.000Z');
    await expect(markSystemAuthUsed(auth.id, at)).resolves.toBe(true);
    expect((await getSystemAuth(auth.id))?.lastUsedAt).toBe(at.toISOString());
    const missing = randomUUID();
    await expect(markSystemAuthUsed(missing)).resolves.toBe(false);
    await expect(getSystemAuth(missing)).resolves.toBeUndefined();
  });

  it('updates the status within the tenant only', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await createSystemAuth(auth);
    await expect(updateSystemAuthStatus(freshTenant(), auth.id, 'REVOKED')).resolves.toBeUndefined();
    expect((await getSystemAuth(auth.id))?.status).toBe('ACTIVE');
    await expect(updateSystemAuthStatus(auth.tenant, auth.id, 'REVOKED')).resolves.toEqual({ ...auth, status: 'REVOKED' });
    await expect(updateSystemAuthStatus(auth.tenant, randomUUID(), 'REVOKED')).resolves.toBeUndefined();
  });

  it('deletes only when tenant and type match, and returns what it deleted', async () => {
    const auth = applicationAuth(freshTenant(), randomUUID());
    await createSystemAuth(auth);
    await expect(deleteSystemAuth(auth.id, { tenant: freshTenant() })).resolves.toBeUndefined();
    await expect(deleteSystemAuth(auth.id, { type: 'CLIENT_CERTIFICATE' })).resolves.toBeUndefined();
    await expect(getSystemAuth(auth.id)).resolves.toEqual(auth);
    await expect(deleteSystemAuth(auth.id, { tenant: auth.tenant, type: 'OAUTH2_CLIENT_CREDENTIALS' })).resolves.toEqual(auth);
    await expect(getSystemAuth(auth.id)).resolves.toBeUndefined();
    await expect(deleteSystemAuth(auth.id)).resolves.toBeUndefined();
  });
});
