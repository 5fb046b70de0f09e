// The per-tenant quota of live OAuth clients against DynamoDB Local + moto: refused past the limit with no SystemAuth and no secret left, never exceeded by concurrent creations, freed once by revoking.
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { secretsManager } from '../../../shared/aws/clients';
import { config } from '../../../shared/config';
import { InternalError, QuotaExceededError } from '../../../shared/errors';
import { type CreatedOAuthClient } from '../../../shared/oauth/clients';
import { clientSecretName } from '../../../shared/oauth/client-secrets';
import { oauthClientsCounterKey } from '../../../shared/system-auths/items';
import { freshTenant, secretExists } from '../../support/local-aws';
import { secretsManagerOnly } from '../../support/secret-keeping';
import { rejection } from '../../support/promises';
import { withSettings } from '../../support/settings';
import { oauthClients, systemAuths } from '../../support/stores';
import { awsError, injectFailure, itemPutInto } from '../pairing/aws-failures';
import { aws } from '../../../functions/container';

const LIMIT = 3;
withSettings({ MAX_OAUTH_CLIENTS_PER_TENANT: String(LIMIT) });

const applicationClient = (tenant: string, appId: string = randomUUID()) =>
  oauthClients.create({ tenant, kind: 'APPLICATION', appId, scopes: ['application:read'] });

async function counterOf(tenant: string): Promise<number | undefined> {
  const out = await aws.dynamo.send(new GetCommand({ TableName: config().systemAuthsTable, Key: oauthClientsCounterKey(tenant), ConsistentRead: true }));
  return out.Item?.count;
}

/** Records the name of every secret created while `run` runs (moto then says which of them still exist). */
async function secretsCreatedDuring<T>(run: () => Promise<T>): Promise<{ result: T; names: string[] }> {
  const names: string[] = [];
  const client = secretsManager();
  const send = client.send.bind(client);
  const spy = jest.spyOn(client, 'send').mockImplementation(((command: { constructor: { name: string }; input: { Name?: string } }) => {
    if (command.constructor.name === 'CreateSecretCommand') names.push(command.input.Name!);
    return send(command as never);
  }) as typeof client.send);
  try {
    return { result: await run(), names };
  } finally {
    spy.mockRestore();
  }
}

describe('live OAuth clients per tenant (MAX_OAUTH_CLIENTS_PER_TENANT)', () => {
  // Counts the Secrets Manager secrets each creation wrote; the verifier project checks the quota through the other tests here.
  secretsManagerOnly()("counts administrators' and applications' clients, refuses one more with a clear message, and leaves no SystemAuth and no secret", async () => {
    const tenant = freshTenant();
    await oauthClients.createAdmin(tenant);
    await applicationClient(tenant);
    await applicationClient(tenant);
    const appId = randomUUID();
    const { result: refused, names } = await secretsCreatedDuring(() => rejection(applicationClient(tenant, appId)));

    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({
      code: 'CONFLICT',
      message: `tenant ${tenant} has reached its limit of ${LIMIT} live OAuth clients (MAX_OAUTH_CLIENTS_PER_TENANT); revoke one (an application's client credentials or an administrator) first`,
    });
    // The secret is written before the SystemAuth; the refusal deleted it again.
    expect(names).toHaveLength(1);
    await expect(secretExists(names[0])).resolves.toBe(false);
    const refusedId = names[0].split('/').pop()!;
    await expect(systemAuths.get(refusedId)).resolves.toBeUndefined();
    expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([]);
    expect(await counterOf(tenant)).toBe(LIMIT);
    await expect(rejection(oauthClients.createAdmin(tenant))).resolves.toBeInstanceOf(QuotaExceededError);
    // Another tenant is not affected.
    await expect(oauthClients.createAdmin(freshTenant())).resolves.toMatchObject({ clientId: expect.any(String) });
  });

  secretsManagerOnly()('10 concurrent creations with room for 3: exactly 3 clients exist, and the refused ones left no secret', async () => {
    const tenant = freshTenant();
    const appId = randomUUID();
    const { result: outcomes, names } = await secretsCreatedDuring(() => Promise.allSettled(Array.from({ length: 10 }, () => applicationClient(tenant, appId))));
    const won = outcomes.filter((o): o is PromiseFulfilledResult<CreatedOAuthClient> => o.status === 'fulfilled').map((o) => o.value);
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
    expect(won).toHaveLength(LIMIT);
    for (const reason of lost) expect(reason).toBeInstanceOf(QuotaExceededError);
    expect((await systemAuths.listOfApplication(tenant, appId)).map((a) => a.id).sort()).toEqual(won.map((c) => c.clientId).sort());
    expect(names).toHaveLength(10);
    const kept = new Set(won.map((c) => clientSecretName(c.clientId)));
    for (const name of names) await expect(secretExists(name)).resolves.toBe(kept.has(name));
    expect(await counterOf(tenant)).toBe(LIMIT);
  });

  it('revoking frees a slot exactly once, however often and concurrently it runs', async () => {
    const tenant = freshTenant();
    const clients = [await applicationClient(tenant), await applicationClient(tenant), await applicationClient(tenant)];
    await expect(applicationClient(tenant)).rejects.toBeInstanceOf(QuotaExceededError);

    await Promise.all(Array.from({ length: 5 }, () => oauthClients.revoke(clients[0].systemAuth)));
    await oauthClients.revoke(clients[0].systemAuth);
    expect(await counterOf(tenant)).toBe(LIMIT - 1);
    await expect(applicationClient(tenant)).resolves.toMatchObject({ clientId: expect.any(String) });
    await expect(applicationClient(tenant)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('a client left REVOKED by a revocation cut short no longer counts', async () => {
    const tenant = freshTenant();
    const clients = [await applicationClient(tenant), await applicationClient(tenant), await applicationClient(tenant)];
    const failure = injectFailure(secretsManager(), { command: 'DeleteSecretCommand', moment: 'before-sending' }, awsError('ServiceUnavailable'));
    try {
      await expect(oauthClients.revoke(clients[1].systemAuth)).rejects.toMatchObject({ name: 'ServiceUnavailable' });
    } finally {
      failure.remove();
    }
    await expect(systemAuths.get(clients[1].clientId)).resolves.toMatchObject({ status: 'REVOKED' });
    await expect(applicationClient(tenant)).resolves.toMatchObject({ clientId: expect.any(String) });
    // The retry finishes the revocation without freeing a second slot.
    await oauthClients.revoke(clients[1].systemAuth);
    expect(await counterOf(tenant)).toBe(LIMIT);
  });

  it('gives the slot back when the SystemAuth write took effect but its answer was lost (the compensation revokes it)', async () => {
    const tenant = freshTenant();
    await applicationClient(tenant);
    const failure = injectFailure(
      aws.dynamo,
      { command: 'TransactWriteItemsCommand', moment: 'after-taking-effect', when: (input) => itemPutInto(config().systemAuthsTable, input) !== undefined },
      awsError('InternalServerError'),
    );
    try {
      await expect(applicationClient(tenant)).rejects.toBeInstanceOf(InternalError);
    } finally {
      failure.remove();
    }
    const lostId = String(itemPutInto(config().systemAuthsTable, failure.seen[0])?.id);
    await expect(systemAuths.get(lostId)).resolves.toBeUndefined();
    await expect(secretExists(clientSecretName(lostId))).resolves.toBe(false);
    expect(await counterOf(tenant)).toBe(1);
  });

  it('keeps the counter item out of the byApplication index and of every read by id', async () => {
    const tenant = freshTenant();
    const appId = randomUUID();
    const client = await applicationClient(tenant, appId);
    const { id } = oauthClientsCounterKey(tenant);
    expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([client.systemAuth]);
    await expect(systemAuths.get(id)).resolves.toBeUndefined();
    await expect(oauthClients.revokeById(id)).resolves.toBe(false);
    await expect(rejection(oauthClients.authenticate(id, 'x'))).resolves.toMatchObject({ error: 'invalid_client' });
    expect(await counterOf(tenant)).toBe(1);
  });
});
