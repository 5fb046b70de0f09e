// Two live secrets per OAuth client against DynamoDB Local + moto: rotating and revoking through the Director, tokens through the OAuth handler.
import { randomUUID } from 'node:crypto';
import { config } from '../../../shared/config';
import { clientSecretName } from '../../../shared/oauth/client-secrets';
import { freshTenant } from '../../support/local-aws';
import { systemAuths } from '../../support/stores';
import { keepsSecret, keptSecretsOf, secretKeepingCall, secretsManagerOnly } from '../../support/secret-keeping';
import { awsError, injectFailure } from './aws-failures';
import { accessTokenOf, administrator, director, errorCode, grant, type GraphQLAnswer } from './director-calls';
import { aws } from '../../../functions/container';

const REGISTER = `mutation($name: String!) { registerApplication(in: {name: $name}) { id } }`;
const REQUEST_CREDENTIALS = `mutation($id: ID!) { requestClientCredentialsForApplication(id: $id) { id clientId clientSecret secrets { id createdAt lastUsedAt } } }`;
const ROTATE = `mutation($id: ID!) { rotateClientSecret(authID: $id) { id clientSecret createdAt } }`;
const REVOKE = `mutation($id: ID!, $secretId: ID!) { revokeClientSecret(authID: $id, secretId: $secretId) { id status clientSecret secrets { id createdAt lastUsedAt } } }`;
const DELETE_AUTH = `mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id status } }`;
const AUTHS = `query($id: ID!) { application(id: $id) { auths { id type clientSecret secrets { id createdAt lastUsedAt } } } }`;

/** A tenant with an administrator and an application paired with one OAuth client. */
async function pairedClient() {
  const tenant = freshTenant();
  const admin = await administrator(tenant);
  const registered = await director(admin.accessToken, REGISTER, { name: `app-${randomUUID().slice(0, 8)}` });
  const appId = registered.data!.registerApplication.id as string;
  const credentials = await director(admin.accessToken, REQUEST_CREDENTIALS, { id: appId });
  expect(credentials.errors).toBeUndefined();
  const { clientId, clientSecret } = credentials.data!.requestClientCredentialsForApplication as { clientId: string; clientSecret: string };
  return { tenant, admin: admin.accessToken, appId, clientId, clientSecret };
}

async function rotate(admin: string, clientId: string): Promise<{ id: string; clientSecret: string; createdAt: string }> {
  const answer = await director(admin, ROTATE, { id: clientId });
  expect(answer.errors).toBeUndefined();
  return answer.data!.rotateClientSecret;
}

/** Every secret kept of the client, in Secrets Manager or as a verifier, by its Secrets Manager name. */
const secretsOfClient = keptSecretsOf;

const messageOf = (answer: GraphQLAnswer): string | undefined => answer.errors?.[0]?.message;

describe('rotating an OAuth client secret', () => {
  it('gives a second secret, shown once, while the first keeps working: both get tokens at the token endpoint', async () => {
    const { admin, clientId, clientSecret } = await pairedClient();
    // The token endpoint holds a verifier of the first secret before the rotation.
    await expect(accessTokenOf(clientId, clientSecret)).resolves.toEqual(expect.any(String));

    const second = await rotate(admin, clientId);
    expect(second).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/), createdAt: expect.any(String) });
    expect(await keepsSecret(clientId, second.id, second.clientSecret)).toBe(true);

    await expect(accessTokenOf(clientId, second.clientSecret)).resolves.toEqual(expect.any(String));
    await expect(accessTokenOf(clientId, clientSecret)).resolves.toEqual(expect.any(String));
    expect((await grant(clientId, `${second.clientSecret}x`)).body.error).toBe('invalid_client');
  });

  it('lists each live secret with its id, createdAt and lastUsedAt, never a value', async () => {
    const { admin, appId, clientId, clientSecret } = await pairedClient();
    const second = await rotate(admin, clientId);
    await accessTokenOf(clientId, second.clientSecret);
    const answer = await director(admin, AUTHS, { id: appId });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.application.auths).toEqual([
      {
        id: clientId, type: 'OAUTH2_CLIENT_CREDENTIALS', clientSecret: null,
        secrets: [
          { id: 'initial', createdAt: expect.any(String), lastUsedAt: null },
          { id: second.id, createdAt: second.createdAt, lastUsedAt: expect.any(String) },
        ],
      },
    ]);
    expect(answer.raw).not.toContain(clientSecret);
    expect(answer.raw).not.toContain(second.clientSecret);
  });

  it('stamps a secret\'s lastUsedAt at most once a minute, in the grant\'s one write', async () => {
    const { admin, clientId } = await pairedClient();
    const second = await rotate(admin, clientId);
    await accessTokenOf(clientId, second.clientSecret);
    const first = (await systemAuths.get(clientId))!.clientSecrets!.find((secret) => secret.id === second.id)!.lastUsedAt;
    expect(first).toEqual(expect.any(String));
    await accessTokenOf(clientId, second.clientSecret);
    const after = await systemAuths.get(clientId);
    expect(after!.clientSecrets!.find((secret) => secret.id === second.id)!.lastUsedAt).toBe(first);
    // The client's own lastUsedAt is written on every grant, as before.
    expect(Date.parse(after!.lastUsedAt!)).toBeGreaterThanOrEqual(Date.parse(first!));
  });

  it('refuses a third live secret with CONFLICT naming the rule, also when rotations race', async () => {
    const { admin, clientId } = await pairedClient();
    const racing = await Promise.all([1, 2, 3].map(() => director(admin, ROTATE, { id: clientId })));
    expect(racing.filter((answer) => answer.errors === undefined)).toHaveLength(1);
    for (const refused of racing.filter((answer) => answer.errors !== undefined)) {
      expect(errorCode(refused)).toBe('CONFLICT');
      expect(messageOf(refused)).toMatch(/at most 2 live secrets: revoke one first/);
    }
    expect((await systemAuths.get(clientId))!.clientSecrets).toHaveLength(2);
    expect(await secretsOfClient(clientId)).toHaveLength(2);
  });
});

describe('revoking one OAuth client secret', () => {
  it('refuses it with invalid_client from the next request on, while the other still works', async () => {
    const { admin, clientId, clientSecret } = await pairedClient();
    const second = await rotate(admin, clientId);
    // Both verifiers are held by the token endpoint's process; the Director revokes in its own.
    await accessTokenOf(clientId, clientSecret);
    await accessTokenOf(clientId, second.clientSecret);

    const revoked = await director(admin, REVOKE, { id: clientId, secretId: 'initial' });
    expect(revoked.errors).toBeUndefined();
    expect(revoked.data!.revokeClientSecret).toEqual({
      id: clientId, status: 'ACTIVE', clientSecret: null, secrets: [{ id: second.id, createdAt: second.createdAt, lastUsedAt: expect.any(String) }],
    });

    const refused = await grant(clientId, clientSecret);
    expect(refused).toMatchObject({ statusCode: 401, body: { error: 'invalid_client' } });
    await expect(accessTokenOf(clientId, second.clientSecret)).resolves.toEqual(expect.any(String));
    expect(await secretsOfClient(clientId)).toEqual([clientSecretName(clientId, second.id)]);

    // The slot is free again: a new rotation works, and the revoked secret stays refused.
    const third = await rotate(admin, clientId);
    await expect(accessTokenOf(clientId, third.clientSecret)).resolves.toEqual(expect.any(String));
    expect((await grant(clientId, clientSecret)).body.error).toBe('invalid_client');
  });

  it('refuses to revoke the last live secret (CONFLICT) and an unknown one (NOT_FOUND)', async () => {
    const { admin, clientId, clientSecret } = await pairedClient();
    const last = await director(admin, REVOKE, { id: clientId, secretId: 'initial' });
    expect(errorCode(last)).toBe('CONFLICT');
    expect(messageOf(last)).toMatch(/last live secret.*deleteSystemAuthForApplication/);
    expect(errorCode(await director(admin, REVOKE, { id: clientId, secretId: randomUUID() }))).toBe('NOT_FOUND');

    const second = await rotate(admin, clientId);
    await director(admin, REVOKE, { id: clientId, secretId: second.id });
    expect(errorCode(await director(admin, REVOKE, { id: clientId, secretId: 'initial' }))).toBe('CONFLICT');
    await expect(accessTokenOf(clientId, clientSecret)).resolves.toEqual(expect.any(String));
    expect((await grant(clientId, second.clientSecret)).body.error).toBe('invalid_client');
  });

  // Verifier mode deletes no Secrets Manager secret of a client made with a verifier (its verifier goes with the entry).
  secretsManagerOnly()('a failed deletion of the revoked secret still refuses it, and deleting the client deletes it later', async () => {
    const { admin, clientId } = await pairedClient();
    const second = await rotate(admin, clientId);
    const failure = injectFailure(aws.secretsManager, { command: 'DeleteSecretCommand', moment: 'before-sending' }, awsError('ServiceUnavailable'));
    let answer: GraphQLAnswer;
    try {
      answer = await director(admin, REVOKE, { id: clientId, secretId: second.id });
    } finally {
      failure.remove();
    }
    // Revoked where it counts (the SystemAuth): the answer is the revocation, the leftover is the service's to clean up.
    expect(answer.errors).toBeUndefined();
    expect((await grant(clientId, second.clientSecret)).body.error).toBe('invalid_client');
    expect(await secretsOfClient(clientId)).toContain(clientSecretName(clientId, second.id));
    expect((await director(admin, DELETE_AUTH, { id: clientId })).errors).toBeUndefined();
    expect(await secretsOfClient(clientId)).toEqual([]);
  });

  it('deleting the client deletes every one of its secrets', async () => {
    const { admin, clientId } = await pairedClient();
    await rotate(admin, clientId);
    expect(await secretsOfClient(clientId)).toHaveLength(2);
    expect((await director(admin, DELETE_AUTH, { id: clientId })).errors).toBeUndefined();
    expect(await secretsOfClient(clientId)).toEqual([]);
  });
});

describe('who may rotate and revoke client secrets', () => {
  it('another tenant\'s administrator gets NOT_FOUND, an application FORBIDDEN, and nothing changes', async () => {
    const { clientId, clientSecret } = await pairedClient();
    const other = await administrator(freshTenant());
    expect(errorCode(await director(other.accessToken, ROTATE, { id: clientId }))).toBe('NOT_FOUND');
    expect(errorCode(await director(other.accessToken, REVOKE, { id: clientId, secretId: 'initial' }))).toBe('NOT_FOUND');
    expect(errorCode(await director(other.accessToken, ROTATE, { id: 'not-a-uuid' }))).toBe('NOT_FOUND');
    const application = await accessTokenOf(clientId, clientSecret);
    expect(errorCode(await director(application, ROTATE, { id: clientId }))).toBe('FORBIDDEN');
    expect((await systemAuths.get(clientId))!.clientSecrets).toBeUndefined();
    expect(await secretsOfClient(clientId)).toEqual([clientSecretName(clientId)]);
  });

  it('refuses an administrator\'s own client (NOT_FOUND) and a certificate SystemAuth (BAD_USER_INPUT)', async () => {
    const { tenant, admin, appId } = await pairedClient();
    const otherAdmin = await administrator(tenant);
    expect(errorCode(await director(admin, ROTATE, { id: otherAdmin.clientId }))).toBe('NOT_FOUND');
    const certificateAuth = randomUUID();
    await systemAuths.create({
      id: certificateAuth, tenant, kind: 'APPLICATION', type: 'CLIENT_CERTIFICATE', appId, status: 'PENDING', scopes: ['application:read'],
      createdAt: new Date().toISOString(),
    });
    const answer = await director(admin, ROTATE, { id: certificateAuth });
    expect(errorCode(answer)).toBe('BAD_USER_INPUT');
    expect(messageOf(answer)).toMatch(/is a CLIENT_CERTIFICATE credential: only OAUTH2_CLIENT_CREDENTIALS credentials have secrets/);
    const listed = await director(admin, AUTHS, { id: appId });
    expect(listed.data!.application.auths.find((auth: { id: string }) => auth.id === certificateAuth).secrets).toBeNull();
  });
});

describe('failures part-way through a rotation', () => {
  it.each(['before-sending', 'after-taking-effect'] as const)(
    'a failure %s of keeping the new secret (Secrets Manager CreateSecret, or KMS GenerateMac) answers a clean INTERNAL and leaves no secret and no entry behind',
    async (moment) => {
      const { admin, clientId, clientSecret } = await pairedClient();
      const { client, command } = secretKeepingCall();
      const failure = injectFailure(client, { command, moment }, awsError('ThrottlingException'));
      let answer: GraphQLAnswer;
      try {
        answer = await director(admin, ROTATE, { id: clientId });
      } finally {
        failure.remove();
      }
      expect(answer.errors).toEqual([expect.objectContaining({ message: 'Could not rotate the client secret', extensions: { code: 'INTERNAL' } })]);
      expect(answer.raw).not.toMatch(/arn:aws|Throttling|Rate exceeded|Request ID/);
      expect(await secretsOfClient(clientId)).toEqual([clientSecretName(clientId)]);
      expect((await systemAuths.get(clientId))!.clientSecrets).toBeUndefined();
      await expect(accessTokenOf(clientId, clientSecret)).resolves.toEqual(expect.any(String));
    },
  );

  it('a lost answer of the SystemAuth write takes the entry out again and deletes the secret', async () => {
    const { admin, clientId, clientSecret } = await pairedClient();
    const failure = injectFailure(
      aws.dynamo,
      {
        command: 'UpdateItemCommand',
        moment: 'after-taking-effect',
        when: (input) => input.TableName === config().systemAuthsTable && String(input.UpdateExpression).startsWith('SET #secrets'),
      },
      awsError('InternalServerError'),
    );
    let answer: GraphQLAnswer;
    try {
      answer = await director(admin, ROTATE, { id: clientId });
    } finally {
      failure.remove();
    }
    expect(failure.seen).toHaveLength(1);
    expect(errorCode(answer)).toBe('INTERNAL');
    expect(await secretsOfClient(clientId)).toEqual([clientSecretName(clientId)]);
    expect((await systemAuths.get(clientId))!.clientSecrets).toEqual([{ id: 'initial', createdAt: expect.any(String) }]);
    await expect(accessTokenOf(clientId, clientSecret)).resolves.toEqual(expect.any(String));
    // And the client can still rotate: nothing half-made counts against its two secrets.
    await rotate(admin, clientId);
  });
});
