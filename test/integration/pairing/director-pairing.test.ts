// The Director's pairing operations against DynamoDB Local + moto: administrators pair and revoke, applications call as themselves and are refused elsewhere.
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { config } from '../../../shared/config';
import { logger } from '../../../shared/logger';
import { clientSecretName } from '../../../shared/oauth/client-secrets';
import { freshTenant, scanAll } from '../../support/local-aws';
import { awsError, injectFailure, itemPutInto } from './aws-failures';
import { accessTokenOf, administrator, BEARER_CACHE_BOUND_MS, director, errorCode, grant, sleep } from './director-calls';
import { systemAuths } from '../../support/stores';
import { aws, secrets } from '../../../functions/container';

const REGISTER = `mutation($name: String!) { registerApplication(in: {name: $name}) { id name status { condition } } }`;
const AUTH_TYPES = `query($id: ID!) { getAuthTypesForApplication(appId: $id) { type description inputParams } }`;
const PRESENTATION = 'presentation { label credentialNoun revocationEffect pendingHint handoverWarning params { name label } inputParams { name label } }';
const ALL_AUTH_TYPES = `{ authTypes { type ${PRESENTATION} } }`;
const GENERATE = `mutation($id: ID!, $type: String!, $params: JSON!) {
  generateAuthForApplication(id: $id, type: {type: $type}, inputParams: $params) { type systemAuthID params expiresAt } }`;
const REQUEST_CREDENTIALS = `mutation($id: ID!) { requestClientCredentialsForApplication(id: $id) {
  id type status createdAt lastUsedAt clientId clientSecret tokenUrl scopes } }`;
const DELETE_AUTH = `mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id type status clientId clientSecret scopes } }`;
const UNPAIR = `mutation($id: ID!) { unpairApplication(id: $id) { id status { condition } auths { id } } }`;
const UNREGISTER = `mutation($id: ID!) { unregisterApplication(id: $id) { id name } }`;
const APPLICATION = `query($id: ID!) { application(id: $id) { id name status { condition timestamp }
  auths { id type status createdAt lastUsedAt clientId clientSecret tokenUrl scopes } } }`;
const VIEWER = `{ viewer { id type tenant } }`;

const newName = () => `app-${randomUUID().slice(0, 8)}`;

/** A tenant with an administrator and one registered application. */
async function adminWithApplication() {
  const tenant = freshTenant();
  const admin = await administrator(tenant);
  const registered = await director(admin.accessToken, REGISTER, { name: newName() });
  expect(registered.errors).toBeUndefined();
  return { tenant, admin: admin.accessToken, appId: registered.data!.registerApplication.id as string };
}

/** Pairs the application with client credentials through generateAuthForApplication; returns params. */
async function pairOAuth(admin: string, appId: string, inputParams: Record<string, unknown> = {}) {
  const answer = await director(admin, GENERATE, { id: appId, type: 'OAUTH2_CLIENT_CREDENTIALS', params: inputParams });
  expect(answer.errors).toBeUndefined();
  return answer.data!.generateAuthForApplication.params as { clientId: string; clientSecret: string; tokenUrl: string; scopes: string[] };
}

describe('Director pairing with OAuth 2.0 client credentials', () => {
  describe('as an administrator', () => {
    it('lists the auth types of an application, with the JSON Schema of their inputParams', async () => {
      const { admin, appId } = await adminWithApplication();
      const answer = await director(admin, AUTH_TYPES, { id: appId });
      expect(answer.errors).toBeUndefined();
      const oauth = answer.data!.getAuthTypesForApplication.find((t: { type: string }) => t.type === 'OAUTH2_CLIENT_CREDENTIALS');
      expect(oauth.inputParams).toMatchObject({ type: 'object', additionalProperties: false, properties: { scopes: { type: 'array' } } });
    });

    it('reads the words of every type (authTypes, and each listed credential), for a page that names no type itself', async () => {
      const { admin, appId } = await adminWithApplication();
      const { clientId } = await pairOAuth(admin, appId);
      const answer = await director(admin, `query($id: ID!) { ${ALL_AUTH_TYPES.slice(2, -2)} application(id: $id) { auths { id ${PRESENTATION} } } }`, { id: appId });
      expect(answer.errors).toBeUndefined();
      const oauthWords = {
        label: 'OAuth 2.0 client credentials', credentialNoun: 'OAuth client', revocationEffect: 'client and its access tokens', pendingHint: null,
        handoverWarning: expect.stringContaining('shown once'),
        params: ['clientId', 'clientSecret', 'tokenUrl', 'scopes'].map((name) => ({ name, label: expect.any(String) })),
        inputParams: [{ name: 'scopes', label: 'Scopes' }],
      };
      expect(answer.data!.authTypes).toEqual([
        { type: 'OAUTH2_CLIENT_CREDENTIALS', presentation: oauthWords },
        { type: 'CLIENT_CERTIFICATE', presentation: expect.objectContaining({ label: 'Client certificate', pendingHint: expect.any(String), inputParams: [] }) },
        {
          type: 'PRIVATE_KEY_JWT',
          presentation: expect.objectContaining({ pendingHint: null, handoverWarning: null, inputParams: [{ name: 'publicKey', label: expect.stringContaining('public key') }, { name: 'scopes', label: 'Scopes' }] }),
        },
      ]);
      expect(answer.data!.application.auths).toEqual([{ id: clientId, presentation: oauthWords }]);
    });

    it('answers NOT_FOUND for the auth types or pairing of an unknown application or one of another tenant', async () => {
      const { admin } = await adminWithApplication();
      const other = await adminWithApplication();
      for (const id of [randomUUID(), other.appId, 'not-a-uuid']) {
        expect(errorCode(await director(admin, AUTH_TYPES, { id }))).toBe('NOT_FOUND');
        expect(errorCode(await director(admin, GENERATE, { id, type: 'OAUTH2_CLIENT_CREDENTIALS', params: {} }))).toBe('NOT_FOUND');
        expect(errorCode(await director(admin, REQUEST_CREDENTIALS, { id }))).toBe('NOT_FOUND');
      }
      expect(await systemAuths.listOfApplication(other.tenant, other.appId)).toEqual([]);
    });

    it('pairs: params exactly {clientId, clientSecret, tokenUrl, scopes}, the SystemAuth listed without its secret', async () => {
      const { admin, appId } = await adminWithApplication();
      const answer = await director(admin, GENERATE, { id: appId, type: 'OAUTH2_CLIENT_CREDENTIALS', params: {} });
      expect(answer.errors).toBeUndefined();
      const result = answer.data!.generateAuthForApplication;
      expect(result).toEqual({
        type: 'OAUTH2_CLIENT_CREDENTIALS',
        systemAuthID: result.params.clientId,
        params: { clientId: expect.any(String), clientSecret: expect.any(String), tokenUrl: 'https://api.example.test/oauth2/token', scopes: ['application:read'] },
        expiresAt: null,
      });
      expect(Object.keys(result.params).sort()).toEqual(['clientId', 'clientSecret', 'scopes', 'tokenUrl']);

      const read = await director(admin, APPLICATION, { id: appId });
      expect(read.data!.application.auths).toEqual([{
        id: result.systemAuthID, type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'ACTIVE', createdAt: expect.any(String), lastUsedAt: null,
        clientId: result.systemAuthID, clientSecret: null, tokenUrl: 'https://api.example.test/oauth2/token', scopes: ['application:read'],
      }]);
      expect(read.raw).not.toContain(result.params.clientSecret);
    });

    it.each([
      [{ scopes: ['application:write'] }, 'inputParams.scopes[0] must be one of'],
      [{ clientName: 'x' }, 'inputParams has unknown key "clientName"'],
      [{ scopes: 'application:read' }, 'inputParams.scopes must be array'],
    ])('refuses inputParams %j with BAD_USER_INPUT and creates nothing', async (params, message) => {
      const { admin, tenant, appId } = await adminWithApplication();
      const answer = await director(admin, GENERATE, { id: appId, type: 'OAUTH2_CLIENT_CREDENTIALS', params });
      expect(answer.statusCode).toBe(200);
      expect(errorCode(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors![0].message).toContain(message);
      expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([]);
    });

    it('refuses an unknown auth type with BAD_USER_INPUT', async () => {
      const { admin, appId } = await adminWithApplication();
      const answer = await director(admin, GENERATE, { id: appId, type: 'SAML', params: {} });
      expect(errorCode(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors![0].message).toContain('unknown auth type "SAML"');
    });

    it('requestClientCredentialsForApplication shows the secret in its own response only', async () => {
      const { admin, appId } = await adminWithApplication();
      const answer = await director(admin, REQUEST_CREDENTIALS, { id: appId });
      expect(answer.errors).toBeUndefined();
      const created = answer.data!.requestClientCredentialsForApplication;
      expect(created).toEqual({
        id: created.clientId, type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'ACTIVE', createdAt: expect.any(String), lastUsedAt: null,
        clientId: expect.any(String), clientSecret: expect.any(String), tokenUrl: 'https://api.example.test/oauth2/token', scopes: ['application:read'],
      });
      expect(await secrets.read(clientSecretName(created.id), 0)).toBe(created.clientSecret);
      const read = await director(admin, APPLICATION, { id: appId });
      expect(read.data!.application.auths).toEqual([{ ...created, clientSecret: null }]);
      await expect(accessTokenOf(created.clientId, created.clientSecret)).resolves.toEqual(expect.any(String));
    });

    it('answers a clean INTERNAL error without AWS text when Secrets Manager fails, and leaves nothing behind', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      for (const moment of ['before-sending', 'after-taking-effect'] as const) {
        const failure = injectFailure(aws.secretsManager, { command: 'CreateSecretCommand', moment }, awsError('ThrottlingException'));
        let answer;
        try {
          answer = await director(admin, GENERATE, { id: appId, type: 'OAUTH2_CLIENT_CREDENTIALS', params: {} });
        } finally {
          failure.remove();
        }
        expect(answer.statusCode).toBe(200);
        expect(answer.data).toBeNull();
        expect(answer.errors).toEqual([{ message: 'Could not create the OAuth client', locations: expect.any(Array), path: ['generateAuthForApplication'], extensions: { code: 'INTERNAL' } }]);
        expect(answer.raw).not.toMatch(/arn:aws|Throttling|Rate exceeded|Request ID|stack/i);
        const clientId = String(failure.seen[0].Name).split('/').pop()!;
        expect(await secrets.read(clientSecretName(clientId), 0)).toBeUndefined();
      }
      expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([]);
    });

    it('answers a clean INTERNAL error when the SystemAuth write is lost, and leaves no secret', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      const failure = injectFailure(
        aws.dynamo,
        // The SystemAuth of an OAuth client is written in one transaction with its tenant's quota counter.
        { command: 'TransactWriteItemsCommand', moment: 'before-sending', when: (input) => itemPutInto(config().systemAuthsTable, input) !== undefined },
        awsError('ConditionalCheckFailedException'),
      );
      let answer;
      try {
        answer = await director(admin, REQUEST_CREDENTIALS, { id: appId });
      } finally {
        failure.remove();
      }
      expect(errorCode(answer)).toBe('INTERNAL');
      expect(answer.raw).not.toMatch(/arn:aws|ConditionalCheck|Rate exceeded/);
      const clientId = String(itemPutInto(config().systemAuthsTable, failure.seen[0])?.id);
      expect(await secrets.read(clientSecretName(clientId), 0)).toBeUndefined();
      expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([]);
    });
  });

  describe('as a paired application', () => {
    it('gets an APPLICATION token, becomes CONNECTED, and its SystemAuth records the use', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      const params = await pairOAuth(admin, appId);
      expect((await director(admin, APPLICATION, { id: appId })).data!.application.status.condition).toBe('INITIAL');

      const token = await accessTokenOf(params.clientId, params.clientSecret);
      expect(decodeJwt(token)).toMatchObject({ sub: params.clientId, client_kind: 'APPLICATION', app_id: appId, tenant, scope: 'application:read' });

      const read = await director(admin, APPLICATION, { id: appId });
      expect(read.data!.application.status.condition).toBe('CONNECTED');
      expect(read.data!.application.auths[0].lastUsedAt).toEqual(expect.any(String));
      const connectedAt = read.data!.application.status.timestamp;

      // Later grants keep the time of the first connection.
      await accessTokenOf(params.clientId, params.clientSecret);
      expect((await director(admin, APPLICATION, { id: appId })).data!.application.status.timestamp).toBe(connectedAt);
    });

    it('sees exactly itself: viewer, application, applications', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      const otherApp = (await director(admin, REGISTER, { name: newName() })).data!.registerApplication.id;
      const params = await pairOAuth(admin, appId);
      const token = await accessTokenOf(params.clientId, params.clientSecret);

      expect((await director(token, VIEWER)).data).toEqual({ viewer: { id: appId, type: 'APPLICATION', tenant } });
      expect((await director(token, `query($id: ID!) { application(id: $id) { id } }`, { id: appId })).data).toEqual({ application: { id: appId } });
      expect((await director(token, `query($id: ID!) { application(id: $id) { id } }`, { id: otherApp })).data).toEqual({ application: null });
      expect((await director(token, `{ applications { data { id } totalCount } }`)).data).toEqual({ applications: { data: [{ id: appId }], totalCount: 1 } });
    });

    it('reads its own auths only when pairing granted application.auths:read', async () => {
      const { admin, appId } = await adminWithApplication();
      const plain = await pairOAuth(admin, appId);
      const reader = await pairOAuth(admin, appId, { scopes: ['application.auths:read'] });
      expect(reader.scopes).toEqual(['application:read', 'application.auths:read']);
      const query = `query($id: ID!) { application(id: $id) { id auths { id clientSecret } } }`;

      const refused = await director(await accessTokenOf(plain.clientId, plain.clientSecret), query, { id: appId });
      expect(errorCode(refused)).toBe('FORBIDDEN');

      const allowed = await director(await accessTokenOf(reader.clientId, reader.clientSecret), query, { id: appId });
      expect(allowed.errors).toBeUndefined();
      expect(allowed.data!.application.auths).toHaveLength(2);
      expect(allowed.data!.application.auths.every((auth: { clientSecret: unknown }) => auth.clientSecret === null)).toBe(true);
    });

    it('is FORBIDDEN every administrator operation, on itself too, and changes nothing', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      const params = await pairOAuth(admin, appId, { scopes: ['application.auths:read'] });
      const token = await accessTokenOf(params.clientId, params.clientSecret);
      const operations: Array<[string, Record<string, unknown>]> = [
        [REGISTER, { name: newName() }],
        [`mutation($id: ID!) { updateApplication(id: $id, in: {description: "x"}) { id } }`, { id: appId }],
        [UNREGISTER, { id: appId }],
        [UNPAIR, { id: appId }],
        [GENERATE, { id: appId, type: 'OAUTH2_CLIENT_CREDENTIALS', params: {} }],
        [REQUEST_CREDENTIALS, { id: appId }],
        [DELETE_AUTH, { id: params.clientId }],
        [AUTH_TYPES, { id: appId }],
        [ALL_AUTH_TYPES, {}],
      ];
      for (const [query, variables] of operations) {
        const answer = await director(token, query, variables);
        expect({ query, code: errorCode(answer) }).toEqual({ query, code: 'FORBIDDEN' });
      }
      expect(await systemAuths.listOfApplication(tenant, appId)).toMatchObject([{ id: params.clientId, status: 'ACTIVE' }]);
      expect((await director(admin, `{ applications { totalCount } }`)).data!.applications.totalCount).toBe(1);
    });
  });

  describe('revocation', () => {
    it('deleteSystemAuthForApplication: REVOKED in the answer, grants invalid_client, issued tokens 401 from the next request on', async () => {
      const { admin, appId } = await adminWithApplication();
      const params = await pairOAuth(admin, appId);
      const token = await accessTokenOf(params.clientId, params.clientSecret);
      expect((await director(token, VIEWER)).statusCode).toBe(200);

      const deleted = await director(admin, DELETE_AUTH, { id: params.clientId });
      expect(deleted.errors).toBeUndefined();
      expect(deleted.data!.deleteSystemAuthForApplication).toEqual({
        id: params.clientId, type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'REVOKED', clientId: params.clientId, clientSecret: null, scopes: ['application:read'],
      });
      expect(await systemAuths.get(params.clientId)).toBeUndefined();
      expect(await secrets.read(clientSecretName(params.clientId), 0)).toBeUndefined();

      expect(await grant(params.clientId, params.clientSecret)).toMatchObject({ statusCode: 401, body: { error: 'invalid_client' } });
      await sleep(BEARER_CACHE_BOUND_MS);
      const refused = await director(token, VIEWER);
      expect(refused.statusCode).toBe(401);
      expect(errorCode(refused)).toBe('UNAUTHENTICATED');

      // Gone now: deleting again is NOT_FOUND, and so is another tenant's attempt on a live one.
      expect(errorCode(await director(admin, DELETE_AUTH, { id: params.clientId }))).toBe('NOT_FOUND');
      const other = await adminWithApplication();
      const foreign = await pairOAuth(other.admin, other.appId);
      expect(errorCode(await director(admin, DELETE_AUTH, { id: foreign.clientId }))).toBe('NOT_FOUND');
      expect((await systemAuths.get(foreign.clientId))?.status).toBe('ACTIVE');
    });

    it('deleteSystemAuthForApplication does not delete an administrator', async () => {
      const { admin, tenant } = await adminWithApplication();
      const other = await administrator(tenant);
      expect(errorCode(await director(admin, DELETE_AUTH, { id: other.clientId }))).toBe('NOT_FOUND');
      expect((await director(other.accessToken, VIEWER)).statusCode).toBe(200);
    });

    it('unpairApplication revokes every credential and sets INITIAL; a retry answers the same', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      const first = await pairOAuth(admin, appId);
      const second = await pairOAuth(admin, appId);
      const token = await accessTokenOf(first.clientId, first.clientSecret);
      expect((await director(admin, APPLICATION, { id: appId })).data!.application.status.condition).toBe('CONNECTED');

      for (let attempt = 0; attempt < 2; attempt++) {
        const unpaired = await director(admin, UNPAIR, { id: appId });
        expect(unpaired.errors).toBeUndefined();
        expect(unpaired.data!.unpairApplication).toEqual({ id: appId, status: { condition: 'INITIAL' }, auths: [] });
      }
      for (const { clientId, clientSecret } of [first, second]) {
        expect((await grant(clientId, clientSecret)).statusCode).toBe(401);
        expect(await secrets.read(clientSecretName(clientId), 0)).toBeUndefined();
      }
      expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([]);
      await sleep(BEARER_CACHE_BOUND_MS);
      expect((await director(token, VIEWER)).statusCode).toBe(401);
      expect(errorCode(await director(admin, UNPAIR, { id: randomUUID() }))).toBe('NOT_FOUND');
    });

    it('unpairApplication cut short by Secrets Manager answers INTERNAL, keeps the client refused, and a retry finishes', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      const params = await pairOAuth(admin, appId);
      await accessTokenOf(params.clientId, params.clientSecret);
      const failure = injectFailure(aws.secretsManager, { command: 'DeleteSecretCommand', moment: 'before-sending' }, awsError('ServiceUnavailable'));
      let answer;
      try {
        answer = await director(admin, UNPAIR, { id: appId });
      } finally {
        failure.remove();
      }
      expect(errorCode(answer)).toBe('INTERNAL');
      expect(answer.raw).not.toMatch(/arn:aws|ServiceUnavailable|Rate exceeded/);
      expect((await grant(params.clientId, params.clientSecret)).statusCode).toBe(401);
      expect(await systemAuths.listOfApplication(tenant, appId)).toMatchObject([{ id: params.clientId, status: 'REVOKED' }]);

      const retried = await director(admin, UNPAIR, { id: appId });
      expect(retried.data!.unpairApplication).toEqual({ id: appId, status: { condition: 'INITIAL' }, auths: [] });
      expect(await secrets.read(clientSecretName(params.clientId), 0)).toBeUndefined();
    });

    it('unregisterApplication revokes every credential before deleting; after a failure the retry finishes', async () => {
      const { admin, tenant, appId } = await adminWithApplication();
      const params = await pairOAuth(admin, appId);
      const token = await accessTokenOf(params.clientId, params.clientSecret);
      const failure = injectFailure(aws.secretsManager, { command: 'DeleteSecretCommand', moment: 'before-sending' }, awsError('ThrottlingException'));
      let answer;
      try {
        answer = await director(admin, UNREGISTER, { id: appId });
      } finally {
        failure.remove();
      }
      expect(errorCode(answer)).toBe('INTERNAL');
      expect((await director(admin, APPLICATION, { id: appId })).data!.application.id).toBe(appId);
      expect((await grant(params.clientId, params.clientSecret)).statusCode).toBe(401);

      const retried = await director(admin, UNREGISTER, { id: appId });
      expect(retried.errors).toBeUndefined();
      expect(retried.data!.unregisterApplication.id).toBe(appId);
      expect((await director(admin, APPLICATION, { id: appId })).data!.application).toBeNull();
      expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([]);
      expect(await secrets.read(clientSecretName(params.clientId), 0)).toBeUndefined();
      await sleep(BEARER_CACHE_BOUND_MS);
      expect((await director(token, VIEWER)).statusCode).toBe(401);
      // Once it is gone, unregistering again is NOT_FOUND.
      expect(errorCode(await director(admin, UNREGISTER, { id: appId }))).toBe('NOT_FOUND');
    });
  });

  it('the client secret appears in no DynamoDB item and in no log line of the whole flow', async () => {
    const lines: string[] = [];
    const record = (chunk: string | Uint8Array) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(record);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(record);
    const previousLevel = logger.getLevelName();
    logger.setLogLevel('DEBUG');
    const secrets: string[] = [];
    let kept: string;
    try {
      const { admin, appId } = await adminWithApplication();
      const paired = await pairOAuth(admin, appId, { scopes: ['application.auths:read'] });
      const requested = (await director(admin, REQUEST_CREDENTIALS, { id: appId })).data!.requestClientCredentialsForApplication;
      secrets.push(paired.clientSecret, requested.clientSecret);
      kept = requested.id;
      const token = await accessTokenOf(paired.clientId, paired.clientSecret);
      await director(token, APPLICATION, { id: appId });
      await grant(paired.clientId, 'wrong-secret');
      await director(admin, DELETE_AUTH, { id: paired.clientId });
    } finally {
      logger.setLogLevel(previousLevel);
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const output = lines.join('');
    expect(output).toContain('access token issued');
    expect(output).toContain('application paired');
    for (const secret of secrets) expect(output).not.toContain(secret);

    // The second client is alive, so the scan below covers a SystemAuth whose secret exists.
    expect(await systemAuths.get(kept)).toBeDefined();
    const { applicationsTable, systemAuthsTable, tokensTable } = config();
    for (const table of [applicationsTable, systemAuthsTable, tokensTable]) {
      const items = JSON.stringify(await scanAll(table));
      for (const secret of secrets) expect(items).not.toContain(secret);
    }
  });
});
