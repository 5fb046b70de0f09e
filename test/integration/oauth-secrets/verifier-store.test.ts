// CLIENT_SECRET_STORE=verifier against DynamoDB Local + moto's KMS: what the item holds, what a copy of it is worth, the KMS calls
// authentication makes, clients still in Secrets Manager, and migrate-client-secrets (idempotent, resumable, audited).
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { aws, kms, secrets, kmsAdmin } from '../../../functions/container';
import { clientSecretMacKeyAlias, config } from '../../../shared/config';
import { migrateClientSecretsToVerifiers } from '../../../shared/oauth/client-secret-migration';
import { clientSecretName } from '../../../shared/oauth/client-secrets';
import { OAuthClients, clientAuthenticationState } from '../../../shared/oauth/clients';
import { ClientAuthenticationRefusedError } from '../../../shared/oauth/errors';
import { FailedAuthentications } from '../../../shared/oauth/failed-authentications';
import { StoredSecretVerifiers, storedVerifiersOf } from '../../../shared/oauth/stored-verifiers';
import { SystemAuthRepository } from '../../../shared/system-auths/repository';
import { OAuthClientRecords } from '../../../shared/system-auths/oauth-client-records';
import { freshTenant } from '../../support/local-aws';
import { awsError, injectFailure } from '../pairing/aws-failures';
import { secretsManagerSecretsOf } from '../../support/secret-keeping';

// A SystemAuths table of its own: the migration scans the whole table, and other test files use the stage's at the same time.
const TABLE = `pairing-service-verifier-test-${randomUUID().slice(0, 8)}-system-auths`;
const systemAuths = new SystemAuthRepository(aws.dynamo, TABLE);
const records = new OAuthClientRecords(aws.dynamo, TABLE, () => ({ maxOAuthClientsPerTenant: 1000 }));
const noWait = new FailedAuthentications({ now: Date.now, sleep: async () => {} });
const verifierSettings = { clientSecretStore: 'verifier' as const, clientSecretMacKey: clientSecretMacKeyAlias('test') };

/** OAuth clients as a stage of either store builds them, with a fresh process state. */
const clientsKeeping = (store: 'secrets-manager' | 'verifier') =>
  new OAuthClients(systemAuths, records, secrets, { ...clientAuthenticationState(), failures: noWait }, store === 'verifier' ? storedVerifiersOf(kms, verifierSettings) : undefined);

/** Counts the KMS GenerateMac calls made while `run` runs. */
async function generateMacCallsDuring(run: () => Promise<unknown>): Promise<number> {
  let calls = 0;
  const name = `countGenerateMac${randomUUID()}`;
  aws.kms.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName === 'GenerateMacCommand') calls += 1;
    return next(args);
  }, { step: 'initialize', name });
  try {
    await run();
  } finally {
    aws.kms.middlewareStack.remove(name);
  }
  return calls;
}

const refusalOf = (attempt: Promise<unknown>) => attempt.then(() => 'authenticated', (error: unknown) => (error instanceof ClientAuthenticationRefusedError ? error.refusal.code : String(error)));

beforeAll(async () => {
  await aws.dynamo.send(new CreateTableCommand({
    TableName: TABLE,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  await kmsAdmin.ensureMacKey(clientSecretMacKeyAlias('test'), 'client-secret verifiers of the test stage');
});

afterAll(async () => {
  await aws.dynamo.send(new DeleteTableCommand({ TableName: TABLE }));
});

describe('a client made in verifier mode', () => {
  it('has no Secrets Manager secret and no secret in its item: only a 32-byte verifier of the initial secret', async () => {
    const created = await clientsKeeping('verifier').create({ tenant: freshTenant(), kind: 'ADMIN', scopes: ['applications:read'] });
    await expect(secretsManagerSecretsOf(created.clientId)).resolves.toEqual([]);
    const item = (await aws.dynamo.send(new GetCommand({ TableName: TABLE, Key: { id: created.clientId, sk: 'AUTH' } }))).Item!;
    expect(JSON.stringify(item)).not.toContain(created.clientSecret);
    expect(Object.keys(item).filter((name) => name.startsWith('secretVerifier:'))).toEqual(['secretVerifier:initial']);
    expect(Buffer.from(item['secretVerifier:initial'] as Uint8Array)).toHaveLength(32);
  });

  it('a copy of the table authenticates nobody: the verifier is no secret, and without the stage key it verifies nothing', async () => {
    const created = await clientsKeeping('verifier').create({ tenant: freshTenant(), kind: 'ADMIN', scopes: ['applications:read'] });
    const verifier = Buffer.from((await systemAuths.get(created.clientId))!.secretVerifiers!.initial);
    const clients = clientsKeeping('verifier');
    for (const presented of [verifier.toString('base64url'), verifier.toString('base64'), verifier.toString('hex')]) {
      await expect(refusalOf(clients.authenticate(created.clientId, presented))).resolves.toBe('WRONG_SECRET');
    }
    // Another HMAC key (as someone holding the table but not this stage's key would use) makes other verifiers.
    const otherKey = await kmsAdmin.ensureMacKey(`alias/verifier-test-other-${randomUUID().slice(0, 8)}`, 'not the stage key');
    const elsewhere = new StoredSecretVerifiers((message) => kms.generateMac(otherKey, message));
    await expect(elsewhere.matchingSecret(created.clientId, created.clientSecret, [{ id: 'initial', verifier }])).resolves.toBeUndefined();
    await expect(clients.authenticate(created.clientId, created.clientSecret)).resolves.toMatchObject({ id: created.clientId });
  });

  it('costs one GenerateMac per presented secret and minute: a wrong secret repeated makes no KMS call, nor does the right one', async () => {
    const created = await clientsKeeping('verifier').create({ tenant: freshTenant(), kind: 'APPLICATION', appId: randomUUID(), scopes: ['application:read'] });
    const clients = clientsKeeping('verifier');
    const wrong = `${created.clientSecret}x`;
    expect(await generateMacCallsDuring(() => refusalOf(clients.authenticate(created.clientId, wrong)))).toBe(1);
    expect(await generateMacCallsDuring(async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) await expect(refusalOf(clients.authenticate(created.clientId, wrong))).resolves.toBe('WRONG_SECRET');
    })).toBe(0);
    expect(await generateMacCallsDuring(() => clients.authenticate(created.clientId, created.clientSecret))).toBe(1);
    expect(await generateMacCallsDuring(() => clients.authenticate(created.clientId, created.clientSecret))).toBe(0);
    // Two live secrets: still one call for a new presented secret, not one per secret.
    const second = await clients.rotateSecret((await systemAuths.get(created.clientId))!);
    expect(await generateMacCallsDuring(() => clients.authenticate(created.clientId, second.clientSecret))).toBe(1);
    await expect(clients.authenticate(created.clientId, created.clientSecret)).resolves.toMatchObject({ usedSecret: { id: 'initial' } });
  });

  it('rotation adds a verifier with the entry, revocation of a secret or the client takes it away from the next request', async () => {
    const clients = clientsKeeping('verifier');
    const created = await clients.create({ tenant: freshTenant(), kind: 'APPLICATION', appId: randomUUID(), scopes: ['application:read'] });
    const second = await clients.rotateSecret((await systemAuths.get(created.clientId))!);
    expect(Object.keys((await systemAuths.get(created.clientId))!.secretVerifiers!).sort()).toEqual([second.id, 'initial'].sort());
    await expect(clients.authenticate(created.clientId, second.clientSecret)).resolves.toMatchObject({ usedSecret: { id: second.id } });
    await clients.revokeSecret((await systemAuths.get(created.clientId))!, 'initial');
    expect(Object.keys((await systemAuths.get(created.clientId))!.secretVerifiers!)).toEqual([second.id]);
    await expect(refusalOf(clients.authenticate(created.clientId, created.clientSecret))).resolves.toBe('WRONG_SECRET');
    await clients.revoke((await systemAuths.get(created.clientId))!);
    await expect(refusalOf(clients.authenticate(created.clientId, second.clientSecret))).resolves.toBe('UNKNOWN_CLIENT');
  });

  it('a KMS failure while making a client stores nothing and says only "Could not create the OAuth client"', async () => {
    const failure = injectFailure(aws.kms, { command: 'GenerateMacCommand', moment: 'before-sending' }, awsError('KMSInternalException'));
    try {
      await expect(clientsKeeping('verifier').create({ tenant: freshTenant(), kind: 'ADMIN', scopes: ['applications:read'] })).rejects.toThrow(/^Could not create the OAuth client$/);
    } finally {
      failure.remove();
    }
    expect(failure.seen).toHaveLength(1);
  });
});

describe('a stage switched to verifiers, before and after migrate-client-secrets --to verifier', () => {
  const audit: Array<Record<string, unknown>> = [];
  const migrate = () => migrateClientSecretsToVerifiers({
    systemAuths, oauthClients: records, secrets, verifiers: storedVerifiersOf(kms, verifierSettings)!, audit: async (event) => audit.push(event), now: () => new Date(),
  });

  it('authenticates clients still in Secrets Manager; the migration moves them, deletes their secrets, is audited, and a second run changes nothing', async () => {
    const before = clientsKeeping('secrets-manager');
    const tenant = freshTenant();
    const plain = await before.create({ tenant, kind: 'ADMIN', scopes: ['applications:read'] });
    const rotated = await before.create({ tenant, kind: 'APPLICATION', appId: randomUUID(), scopes: ['application:read'] });
    const second = await before.rotateSecret((await systemAuths.get(rotated.clientId))!);
    const revoked = await before.create({ tenant, kind: 'ADMIN', scopes: ['applications:read'] });
    await records.revoke(tenant, revoked.clientId);

    const after = clientsKeeping('verifier');
    await expect(after.authenticate(plain.clientId, plain.clientSecret)).resolves.toMatchObject({ id: plain.clientId });
    await expect(after.authenticate(rotated.clientId, second.clientSecret)).resolves.toMatchObject({ usedSecret: { id: second.id } });

    // The table also holds the clients the tests above made in verifier mode: they are finished (marked) too.
    const report = await migrate();
    expect(report).toMatchObject({ alreadyMigrated: 0, revoked: 1, failed: [] });
    expect(report.migrated).toBe(report.clients - 1);
    for (const clientId of [plain.clientId, rotated.clientId]) await expect(secretsManagerSecretsOf(clientId)).resolves.toEqual([]);
    expect(audit).toEqual(expect.arrayContaining([
      { tenant, action: 'CLIENT_SECRETS_MIGRATED', outcome: 'SUCCESS', target: { systemAuthId: plain.clientId, applicationId: undefined }, details: { to: 'verifier', secrets: 1, movedNow: 1 } },
      { tenant, action: 'CLIENT_SECRETS_MIGRATED', outcome: 'SUCCESS', target: { systemAuthId: rotated.clientId, applicationId: expect.any(String) }, details: { to: 'verifier', secrets: 2, movedNow: 2 } },
    ]));

    // A fresh process (no verifier held): every secret works from its stored verifier alone, a wrong one does not.
    const fresh = clientsKeeping('verifier');
    await expect(fresh.authenticate(plain.clientId, plain.clientSecret)).resolves.toMatchObject({ id: plain.clientId });
    await expect(fresh.authenticate(rotated.clientId, rotated.clientSecret)).resolves.toMatchObject({ usedSecret: { id: 'initial' } });
    await expect(fresh.authenticate(rotated.clientId, second.clientSecret)).resolves.toMatchObject({ usedSecret: { id: second.id } });
    await expect(refusalOf(fresh.authenticate(plain.clientId, second.clientSecret))).resolves.toBe('WRONG_SECRET');

    audit.length = 0;
    await expect(migrate()).resolves.toEqual({ clients: report.clients, migrated: 0, alreadyMigrated: report.migrated, revoked: 1, failed: [] });
    expect(audit).toEqual([]);
  });

  it('a run stopped part-way (a Secrets Manager failure) leaves every client working, and running it again finishes', async () => {
    const before = clientsKeeping('secrets-manager');
    const created = await before.create({ tenant: freshTenant(), kind: 'ADMIN', scopes: ['applications:read'] });
    const failure = injectFailure(aws.secretsManager, { command: 'DeleteSecretCommand', moment: 'before-sending' }, awsError('ServiceUnavailable'));
    try {
      await expect(migrate()).rejects.toThrow(/ServiceUnavailable/);
    } finally {
      failure.remove();
    }
    // The verifier is written, the secret still there: the client authenticates either way.
    expect((await systemAuths.get(created.clientId))!.secretVerifiers?.initial).toBeDefined();
    await expect(secretsManagerSecretsOf(created.clientId)).resolves.toEqual([clientSecretName(created.clientId)]);
    await expect(clientsKeeping('verifier').authenticate(created.clientId, created.clientSecret)).resolves.toMatchObject({ id: created.clientId });

    const report = await migrate();
    expect(report.failed).toEqual([]);
    expect(report.migrated).toBeGreaterThanOrEqual(1);
    await expect(secretsManagerSecretsOf(created.clientId)).resolves.toEqual([]);
    await expect(clientsKeeping('verifier').authenticate(created.clientId, created.clientSecret)).resolves.toMatchObject({ id: created.clientId });
  });

  it('leaves a client whose live secret is missing from Secrets Manager as it is, and says why', async () => {
    const created = await clientsKeeping('secrets-manager').create({ tenant: freshTenant(), kind: 'ADMIN', scopes: ['applications:read'] });
    await secrets.delete(clientSecretName(created.clientId));
    const report = await migrate();
    expect(report.failed).toEqual([{ systemAuthId: created.clientId, reason: expect.stringMatching(/live secret initial is not in Secrets Manager/) }]);
    expect((await systemAuths.get(created.clientId))!.secretVerifiers).toBeUndefined();
    // Not this test's concern any more: out of the next tests' way.
    await records.revoke((await systemAuths.get(created.clientId))!.tenant, created.clientId);
  });
});

describe('a Secrets Manager stage', () => {
  it('refuses, as a server error, a client that holds verifiers: it has no key to check them with', async () => {
    const created = await clientsKeeping('verifier').create({ tenant: freshTenant(), kind: 'ADMIN', scopes: ['applications:read'] });
    await expect(refusalOf(clientsKeeping('secrets-manager').authenticate(created.clientId, created.clientSecret))).resolves.toMatch(/keeps no verifier key/);
    expect(config().systemAuthsTable).not.toBe(TABLE);
  });
});
