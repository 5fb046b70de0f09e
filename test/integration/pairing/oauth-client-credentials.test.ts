// The OAUTH2_CLIENT_CREDENTIALS adapter against DynamoDB Local + moto: what pairing stores, where the secret lives, revocation, and failures part-way.
import { randomUUID } from 'node:crypto';
import { config } from '../../../shared/config';
import { InternalError, NotFoundError } from '../../../shared/errors';
import { logger } from '../../../shared/logger';
import { OAuthError } from '../../../shared/oauth/errors';
import type { PairingApplication } from '../../../shared/pairing/adapter';
import { RevocationIncompleteError } from '../../../shared/pairing/service';
import { freshTenant, scanAll } from '../../support/local-aws';
import { awsError, injectFailure, itemPutInto } from './aws-failures';
import { rejection } from '../../support/promises';
import { oauthClientCredentials, oauthClients, pairing, pairingAdapters, systemAuths } from '../../support/stores';
import { keepsSecret, keepsVerifiers, keptSecretsOf, secretKeepingCall, secretsManagerOnly } from '../../support/secret-keeping';
import { aws } from '../../../functions/container';
import { noFollowUps } from '../../support/caller-trail';

const context = { publicBaseUrl: 'https://pairing.example.test' };

const newApplication = (): PairingApplication => ({ tenant: freshTenant(), id: randomUUID(), name: 'orders' });

/** Every secret kept of the client, in Secrets Manager or as a verifier, by its Secrets Manager name. */
const secretsOfClient = keptSecretsOf;

/** The client id of the secret a CreateSecret call named, or whose verifier a GenerateMac call computed. */
const clientIdOf = (input: Record<string, unknown>): string =>
  input.Name !== undefined ? String(input.Name).split('/').pop()! : /:v1:([0-9a-f-]{36}):/.exec(Buffer.from(input.Message as Uint8Array).toString('utf8'))![1];

describe('OAUTH2_CLIENT_CREDENTIALS pairing', () => {
  it('creates an ACTIVE APPLICATION SystemAuth whose id is the client id and returns exactly clientId, clientSecret, tokenUrl, scopes', async () => {
    const application = newApplication();
    const result = await pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', {}, context);

    expect(result.type).toBe('OAUTH2_CLIENT_CREDENTIALS');
    expect(Object.keys(result.params).sort()).toEqual(['clientId', 'clientSecret', 'scopes', 'tokenUrl']);
    expect(result.params).toEqual({
      clientId: result.systemAuthID,
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
      tokenUrl: 'https://pairing.example.test/oauth2/token',
      scopes: ['application:read'],
    });
    expect(await systemAuths.get(result.systemAuthID)).toEqual({
      id: result.systemAuthID, tenant: application.tenant, kind: 'APPLICATION', type: 'OAUTH2_CLIENT_CREDENTIALS',
      appId: application.id, status: 'ACTIVE', scopes: ['application:read'], createdAt: expect.any(String),
      ...(keepsVerifiers() ? { secretVerifiers: { initial: expect.any(Uint8Array) } } : {}),
    });
    expect(await keepsSecret(result.systemAuthID, 'initial', result.params.clientSecret as string)).toBe(true);
    await expect(oauthClients.authenticate(result.systemAuthID, String(result.params.clientSecret))).resolves.toMatchObject({ appId: application.id });
  });

  it('grants application:read plus the requested extra scopes', async () => {
    const result = await pairing.generate(newApplication(), 'OAUTH2_CLIENT_CREDENTIALS', { scopes: ['application.auths:read'] }, context);
    expect(result.params.scopes).toEqual(['application:read', 'application.auths:read']);
    expect((await systemAuths.get(result.systemAuthID))?.scopes).toEqual(['application:read', 'application.auths:read']);
  });

  it('leaves nothing behind for bad inputParams', async () => {
    const application = newApplication();
    await expect(pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', { scopes: ['application:write'] }, context))
      .rejects.toThrow('inputParams.scopes[0] must be one of');
    expect(await systemAuths.listOfApplication(application.tenant, application.id)).toEqual([]);
  });

  it('requestClientCredentials returns the stored SystemAuth and the secret once', async () => {
    const application = newApplication();
    const { systemAuth, clientSecret } = await oauthClientCredentials.requestClientCredentials(application, context);
    expect(await systemAuths.get(systemAuth.id)).toEqual(systemAuth);
    expect(await keepsSecret(systemAuth.id, 'initial', clientSecret)).toBe(true);
  });

  it('keeps the secret out of every DynamoDB item and every log line', async () => {
    const lines: string[] = [];
    const capture = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const errorCapture = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const previousLevel = logger.getLevelName();
    logger.setLogLevel('DEBUG');
    let secrets: string[] = [];
    try {
      const application = newApplication();
      const first = await pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', { scopes: ['application.auths:read'] }, context);
      const second = await oauthClientCredentials.requestClientCredentials(application, context);
      secrets = [String(first.params.clientSecret), second.clientSecret];
      await oauthClients.authenticate(first.systemAuthID, secrets[0]);
      await pairing.revokeSystemAuth(application.tenant, first.systemAuthID, noFollowUps);
      await pairing.revokeEveryCredentialOf(application.tenant, application.id, noFollowUps);
    } finally {
      logger.setLogLevel(previousLevel);
      capture.mockRestore();
      errorCapture.mockRestore();
    }
    expect(lines.join('')).toContain('application paired');
    for (const secret of secrets) expect(lines.join('')).not.toContain(secret);

    const { applicationsTable, systemAuthsTable, tokensTable } = config();
    const application = newApplication();
    const kept = await oauthClientCredentials.requestClientCredentials(application, context);
    for (const table of [applicationsTable, systemAuthsTable, tokensTable]) {
      expect(JSON.stringify(await scanAll(table))).not.toContain(kept.clientSecret);
    }
    expect(JSON.stringify(await scanAll(systemAuthsTable))).toContain(kept.systemAuth.id);
  });

  describe('revocation', () => {
    it('deletes the secret and the SystemAuth, refuses the client at once, and returns the SystemAuth as REVOKED', async () => {
      const application = newApplication();
      const { params, systemAuthID } = await pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', {}, context);

      const revoked = await pairing.revokeSystemAuth(application.tenant, systemAuthID, noFollowUps);
      expect(revoked).toMatchObject({ id: systemAuthID, status: 'REVOKED', appId: application.id });
      expect(await systemAuths.get(systemAuthID)).toBeUndefined();
      expect(await secretsOfClient(systemAuthID)).toEqual([]);
      await expect(oauthClients.authenticate(systemAuthID, String(params.clientSecret))).rejects.toBeInstanceOf(OAuthError);
    });

    it('treats an unknown id, another tenant\'s and an administrator\'s SystemAuth as NOT_FOUND and changes nothing', async () => {
      const application = newApplication();
      const { systemAuthID } = await pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', {}, context);
      await expect(pairing.revokeSystemAuth(freshTenant(), systemAuthID, noFollowUps)).rejects.toBeInstanceOf(NotFoundError);
      await expect(pairing.revokeSystemAuth(application.tenant, randomUUID(), noFollowUps)).rejects.toBeInstanceOf(NotFoundError);
      await expect(pairing.revokeSystemAuth(application.tenant, 'x'.repeat(5000), noFollowUps)).rejects.toBeInstanceOf(NotFoundError);
      expect((await systemAuths.get(systemAuthID))?.status).toBe('ACTIVE');

      const admin = await oauthClients.createAdmin(application.tenant);
      await expect(pairing.revokeSystemAuth(application.tenant, admin.clientId, noFollowUps)).rejects.toBeInstanceOf(NotFoundError);
      expect((await systemAuths.get(admin.clientId))?.status).toBe('ACTIVE');
    });

    it('revokes every credential of one application and none of another', async () => {
      const application = newApplication();
      const other = { ...newApplication(), tenant: application.tenant };
      const ids = [
        (await pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', {}, context)).systemAuthID,
        (await oauthClientCredentials.requestClientCredentials(application, context)).systemAuth.id,
      ];
      const kept = (await pairing.generate(other, 'OAUTH2_CLIENT_CREDENTIALS', {}, context)).systemAuthID;

      const revoked = await pairing.revokeEveryCredentialOf(application.tenant, application.id, noFollowUps);
      expect(revoked.map((auth) => auth.id).sort()).toEqual([...ids].sort());
      expect(revoked.every((auth) => auth.status === 'REVOKED')).toBe(true);
      expect(await systemAuths.listOfApplication(application.tenant, application.id)).toEqual([]);
      for (const id of ids) expect(await secretsOfClient(id)).toEqual([]);
      expect((await systemAuths.get(kept))?.status).toBe('ACTIVE');
      // Safe to retry: nothing left, nothing fails.
      await expect(pairing.revokeEveryCredentialOf(application.tenant, application.id, noFollowUps)).resolves.toEqual([]);
    });

    // Verifier mode: a client made with a verifier has no Secrets Manager secret to delete.
    secretsManagerOnly()('a revocation cut short by Secrets Manager leaves the client REVOKED (refused) and listed, and a retry finishes it', async () => {
      const application = newApplication();
      const { params, systemAuthID } = await pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', {}, context);
      const failure = injectFailure(aws.secretsManager, { command: 'DeleteSecretCommand', moment: 'before-sending' }, awsError('ServiceUnavailable'));
      try {
        const error = await rejection(pairing.revokeEveryCredentialOf(application.tenant, application.id, noFollowUps));
        expect(error).toBeInstanceOf(RevocationIncompleteError);
        expect(error.message).not.toMatch(/arn:aws|Rate exceeded|ServiceUnavailable/);
      } finally {
        failure.remove();
      }
      expect(failure.seen).toHaveLength(1);
      expect(await systemAuths.listOfApplication(application.tenant, application.id)).toMatchObject([{ id: systemAuthID, status: 'REVOKED' }]);
      await expect(oauthClients.authenticate(systemAuthID, String(params.clientSecret))).rejects.toBeInstanceOf(OAuthError);

      await pairing.revokeEveryCredentialOf(application.tenant, application.id, noFollowUps);
      expect(await systemAuths.get(systemAuthID)).toBeUndefined();
      expect(await secretsOfClient(systemAuthID)).toEqual([]);
    });

    it('revoking through the registry twice is not an error', async () => {
      const application = newApplication();
      const { systemAuthID } = await pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', {}, context);
      const auth = (await systemAuths.get(systemAuthID))!;
      await pairingAdapters.revoke(auth, noFollowUps);
      await expect(pairingAdapters.revoke(auth, noFollowUps)).resolves.toBeUndefined();
    });
  });

  describe('a failure part-way through pairing leaves neither an orphaned secret nor a SystemAuth without one', () => {
    const keeping = keepsVerifiers()
      ? ([
        ['KMS throttles GenerateMac', 'GenerateMacCommand', 'before-sending', 'ThrottlingException'],
        ['KMS is down for GenerateMac', 'GenerateMacCommand', 'before-sending', 'KMSInternalException'],
      ] as const)
      : ([
        ['Secrets Manager throttles CreateSecret', 'CreateSecretCommand', 'before-sending', 'ThrottlingException'],
        ['Secrets Manager is down for CreateSecret', 'CreateSecretCommand', 'before-sending', 'ServiceUnavailable'],
        ['the CreateSecret response is lost after the secret was created', 'CreateSecretCommand', 'after-taking-effect', 'InternalServiceError'],
      ] as const);
    const cases = [
      ...keeping,
      // The SystemAuth of an OAuth client is written in one transaction with its tenant's quota counter.
      ['the SystemAuth conditional write is lost', 'TransactWriteItemsCommand', 'before-sending', 'ConditionalCheckFailedException'],
      ['DynamoDB throttles the SystemAuth write', 'TransactWriteItemsCommand', 'before-sending', 'ProvisionedThroughputExceededException'],
      ['the SystemAuth write response is lost after it was stored', 'TransactWriteItemsCommand', 'after-taking-effect', 'InternalServerError'],
    ] as const;

    it.each(cases)('%s: INTERNAL, no secret, no SystemAuth', async (_, command, moment, errorName) => {
      const application = newApplication();
      const keepsSecretNow = command === 'CreateSecretCommand' || command === 'GenerateMacCommand';
      const failure = keepsSecretNow
        ? injectFailure(secretKeepingCall().client, { command, moment }, awsError(errorName))
        : injectFailure(aws.dynamo, { command, moment, when: (input) => itemPutInto(config().systemAuthsTable, input) !== undefined }, awsError(errorName));
      let error: Error;
      try {
        error = await rejection(pairing.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', {}, context));
      } finally {
        failure.remove();
      }
      expect(failure.seen).toHaveLength(1);
      expect(error).toBeInstanceOf(InternalError);
      expect(error.message).toBe('Could not create the OAuth client');

      const clientId = keepsSecretNow ? clientIdOf(failure.seen[0]) : String(itemPutInto(config().systemAuthsTable, failure.seen[0])?.id);
      expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await secretsOfClient(clientId)).toEqual([]);
      expect(await systemAuths.get(clientId)).toBeUndefined();
      expect(await systemAuths.listOfApplication(application.tenant, application.id)).toEqual([]);
    });
  });
});
