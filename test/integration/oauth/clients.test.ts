// OAuth clients against DynamoDB Local + moto: where the secret lives, compensation when a write fails, revocation and its retry, the comparison path.
import crypto, { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../functions/oauth/handler';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { secretsManager } from '../../../shared/aws/clients';
import { config } from '../../../shared/config';
import { InternalError } from '../../../shared/errors';
import { logger } from '../../../shared/logger';
import { clientSecretName } from '../../../shared/oauth/client-secrets';
import { OAuthError } from '../../../shared/oauth/errors';
import { applicationKey } from '../../../shared/system-auths/items';
import { MAX_LIVE_CLIENT_SECRETS } from '../../../shared/system-auths/types';
import { freshTenant, secretExists } from '../../support/local-aws';
import { basicAuthorization, tokenRequest } from './token-requests';
import { oauthClients, systemAuths } from '../../support/stores';
import { keepsSecret, keepsVerifiers, secretsManagerOnly, secretsManagerSecretsOf } from '../../support/secret-keeping';
import { aws } from '../../../functions/container';

afterEach(() => jest.restoreAllMocks());

/** Fails the next SystemAuth Put (in its transaction with the tenant's quota counter) and reports the client id it carried. */
function failNextSystemAuthPut(): { clientId: () => string } {
  let clientId = '';
  const client = aws.dynamo;
  const send = client.send.bind(client);
  jest.spyOn(client, 'send').mockImplementation(((command: unknown) => {
    const put = command instanceof TransactWriteCommand
      ? command.input.TransactItems?.find((item) => item.Put?.TableName === config().systemAuthsTable)?.Put
      : undefined;
    if (put && clientId === '') {
      clientId = put.Item!.id;
      return Promise.reject(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    }
    return send(command as never);
  }) as typeof client.send);
  return { clientId: () => clientId };
}

describe('createOAuthClient', () => {
  it('keeps the secret in Secrets Manager only, or only a verifier of it in the SystemAuth (CLIENT_SECRET_STORE=verifier): no DynamoDB item holds it', async () => {
    const tenant = freshTenant();
    const appId = randomUUID();
    const created = await oauthClients.create({ tenant, kind: 'APPLICATION', appId, scopes: ['application:read'] });
    expect(created.clientId).toBe(created.systemAuth.id);
    await expect(keepsSecret(created.clientId, 'initial', created.clientSecret)).resolves.toBe(true);
    // A verifier stage puts nothing in Secrets Manager; a Secrets Manager stage puts no verifier in the item.
    if (keepsVerifiers()) await expect(secretsManagerSecretsOf(created.clientId)).resolves.toEqual([]);
    else expect((await systemAuths.get(created.clientId))!.secretVerifiers).toBeUndefined();

    const item = (await aws.dynamo.send(new GetCommand({ TableName: config().systemAuthsTable, Key: { id: created.clientId, sk: 'AUTH' } }))).Item;
    expect(item).toMatchObject({ id: created.clientId, tenant, kind: 'APPLICATION', type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'ACTIVE', appId });
    const indexed = await aws.dynamo.send(new QueryCommand({
      TableName: config().systemAuthsTable, IndexName: 'byApplication',
      KeyConditionExpression: 'appKey = :k', ExpressionAttributeValues: { ':k': applicationKey(tenant, appId) },
    }));
    for (const stored of [item, ...(indexed.Items ?? [])]) expect(JSON.stringify(stored)).not.toContain(created.clientSecret);
  });

  it('deletes the secret again when the SystemAuth write fails, and reports an internal error', async () => {
    const failed = failNextSystemAuthPut();
    const error = await oauthClients.createAdmin(freshTenant()).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InternalError);
    expect((error as Error).message).toBe('Could not create the OAuth client');
    jest.restoreAllMocks();
    expect(failed.clientId()).not.toBe('');
    await expect(systemAuths.get(failed.clientId())).resolves.toBeUndefined();
    await expect(secretExists(clientSecretName(failed.clientId()))).resolves.toBe(false);
  });

  secretsManagerOnly()('logs the name, never the value, of a secret it could not clean up', async () => {
    const failed = failNextSystemAuthPut();
    let secretValue = '';
    const sm = secretsManager();
    const smSend = sm.send.bind(sm);
    jest.spyOn(sm, 'send').mockImplementation(((command: { constructor: { name: string }; input: { SecretString?: string } }) => {
      if (command.constructor.name === 'CreateSecretCommand') secretValue = command.input.SecretString!;
      if (command.constructor.name === 'DeleteSecretCommand') return Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      return smSend(command as never);
    }) as typeof sm.send);
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);

    await expect(oauthClients.createAdmin(freshTenant())).rejects.toBeInstanceOf(InternalError);
    const name = clientSecretName(failed.clientId());
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('delete it by hand'), expect.objectContaining({ secretName: name }));
    expect(secretValue).not.toBe('');
    expect(JSON.stringify(logged.mock.calls)).not.toContain(secretValue);

    jest.restoreAllMocks();
    // The orphan exists (the compensation "failed"); clean it up so the run leaves nothing behind.
    await expect(secretExists(name)).resolves.toBe(true);
    await oauthClients.revokeById(failed.clientId());
    await expect(secretExists(name)).resolves.toBe(false);
  });
});

describe('revokeOAuthClient', () => {
  it('deletes the SystemAuth and the secret, and is idempotent', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    await expect(oauthClients.revokeById(admin.clientId)).resolves.toBe(true);
    await expect(systemAuths.get(admin.clientId)).resolves.toBeUndefined();
    await expect(secretExists(clientSecretName(admin.clientId))).resolves.toBe(false);
    await expect(oauthClients.revokeById(admin.clientId)).resolves.toBe(false);
    await expect(oauthClients.revokeById(randomUUID())).resolves.toBe(false);
  });

  secretsManagerOnly()('leaves a REVOKED SystemAuth that gets no token when deleting the secret fails, and a retry removes both', async () => {
    const tenant = freshTenant();
    // A real application, so the only reason for a refusal below is the revocation.
    const application = await new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config)).register(tenant, { name: `revoke-${randomUUID().slice(0, 8)}` });
    const client = await oauthClients.create({ tenant, kind: 'APPLICATION', appId: application.id, scopes: ['application:read'] });
    const grant = () => handler(tokenRequest('grant_type=client_credentials', { Authorization: basicAuthorization(client.clientId, client.clientSecret) }));
    expect((await grant()).statusCode).toBe(200);

    const sm = secretsManager();
    const smSend = sm.send.bind(sm);
    jest.spyOn(sm, 'send').mockImplementation(((command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'DeleteSecretCommand') return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      return smSend(command as never);
    }) as typeof sm.send);
    await expect(oauthClients.revokeById(client.clientId)).rejects.toMatchObject({ name: 'ThrottlingException' });
    jest.restoreAllMocks();

    await expect(systemAuths.get(client.clientId)).resolves.toMatchObject({ id: client.clientId, status: 'REVOKED' });
    await expect(secretExists(clientSecretName(client.clientId))).resolves.toBe(true);
    const refused = await grant();
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'invalid_client' });

    await expect(oauthClients.revokeById(client.clientId)).resolves.toBe(true);
    await expect(systemAuths.get(client.clientId)).resolves.toBeUndefined();
    await expect(secretExists(clientSecretName(client.clientId))).resolves.toBe(false);
  });

  it('leaves a certificate SystemAuth with the same id alone', async () => {
    const id = randomUUID();
    await aws.dynamo.send(new PutCommand({
      TableName: config().systemAuthsTable,
      Item: { id, sk: 'AUTH', tenant: freshTenant(), kind: 'APPLICATION', type: 'CLIENT_CERTIFICATE', appId: 'a', status: 'ACTIVE', scopes: [], createdAt: new Date().toISOString() },
    }));
    await expect(oauthClients.revokeById(id)).resolves.toBe(false);
    await expect(systemAuths.get(id)).resolves.toMatchObject({ type: 'CLIENT_CERTIFICATE' });
  });
});

describe('authenticateClient', () => {
  it('compares fixed-length digests in constant time, whatever the presented length', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    await expect(oauthClients.authenticate(admin.clientId, admin.clientSecret)).resolves.toMatchObject({ id: admin.clientId });
    await expect(oauthClients.authenticate(admin.clientId, 'x')).rejects.toBeInstanceOf(OAuthError);
    await expect(oauthClients.authenticate(admin.clientId, admin.clientSecret.repeat(3))).rejects.toBeInstanceOf(OAuthError);
    // Each attempt compares with every one of the MAX_LIVE_CLIENT_SECRETS slots, live or not.
    expect(compare).toHaveBeenCalledTimes(3 * MAX_LIVE_CLIENT_SECRETS);
    for (const [a, b] of compare.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('fails every way with the same invalid_client', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    const failures = await Promise.all([
      oauthClients.authenticate(admin.clientId, 'wrong'),
      oauthClients.authenticate(randomUUID(), admin.clientSecret),
      oauthClients.authenticate('../../token-signing-keys', admin.clientSecret),
    ].map((p) => p.then(() => undefined, (e: unknown) => e as OAuthError)));
    for (const failure of failures) expect(failure).toMatchObject({ error: 'invalid_client', description: 'Client authentication failed' });
  });
});
