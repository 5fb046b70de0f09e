// authenticateBearer with real tokens from the token endpoint: callers it makes, and clients it refuses from the next request on.
import { randomUUID } from 'node:crypto';
import { handler } from '../../../functions/oauth/handler';
import { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { ADMIN_SCOPES } from '../../../shared/scopes';
import { UnauthenticatedError } from '../../../shared/errors';
import { freshTenant } from '../../support/local-aws';
import { BASE_URL, basicAuthorization, tokenRequest } from './token-requests';
import { bearerAuthentication, oauthClients, systemAuths } from '../../support/stores';
import { config } from '../../../shared/config';
import { aws } from '../../../functions/container';

async function accessToken(clientId: string, clientSecret: string): Promise<string> {
  const response = await handler(tokenRequest('grant_type=client_credentials', { Authorization: basicAuthorization(clientId, clientSecret) }));
  expect(response.statusCode).toBe(200);
  return JSON.parse(response.body).access_token;
}

const applications = new ApplicationService(new ApplicationRepository(aws.dynamo, config().applicationsTable, config));

/** A registered application of a fresh tenant and an OAuth client of it. */
async function applicationClient(scopes = ['application:read']) {
  const tenant = freshTenant();
  const application = await applications.register(tenant, { name: `bearer-${randomUUID().slice(0, 8)}` });
  const client = await oauthClients.create({ tenant, kind: 'APPLICATION', appId: application.id, scopes });
  return { tenant, application, ...client };
}

/** Longer than the one second authenticateBearer may serve a SystemAuth from memory. */
const pastBearerCache = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe('authenticateBearer with issued tokens', () => {
  it('makes an ADMIN caller of an admin token', async () => {
    const tenant = freshTenant();
    const admin = await oauthClients.createAdmin(tenant);
    const token = await accessToken(admin.clientId, admin.clientSecret);
    await expect(bearerAuthentication.authenticate(`Bearer ${token}`, BASE_URL)).resolves.toEqual({
      kind: 'ADMIN', tenant, clientId: admin.clientId, scopes: [...ADMIN_SCOPES],
    });
  });

  it('makes an APPLICATION caller of an application token', async () => {
    const { tenant, application, ...app } = await applicationClient();
    const token = await accessToken(app.clientId, app.clientSecret);
    await expect(bearerAuthentication.authenticate(`Bearer ${token}`, BASE_URL)).resolves.toEqual({
      kind: 'APPLICATION', tenant, appId: application.id, systemAuthId: app.clientId, scopes: ['application:read'], via: 'OAUTH',
    });
  });

  it('refuses the token of a revoked admin client', async () => {
    const admin = await oauthClients.createAdmin(freshTenant());
    const token = await accessToken(admin.clientId, admin.clientSecret);
    await bearerAuthentication.authenticate(`Bearer ${token}`, BASE_URL);
    await oauthClients.revokeById(admin.clientId);
    await pastBearerCache();
    await expect(bearerAuthentication.authenticate(`Bearer ${token}`, BASE_URL)).rejects.toThrow(new UnauthenticatedError('The OAuth client of this access token no longer exists'));
  });

  it('refuses the token of an application client whose SystemAuth was set REVOKED', async () => {
    const { tenant, ...app } = await applicationClient();
    const token = await accessToken(app.clientId, app.clientSecret);
    await systemAuths.updateStatus(tenant, app.clientId, 'REVOKED');
    await pastBearerCache();
    await expect(bearerAuthentication.authenticate(`Bearer ${token}`, BASE_URL)).rejects.toThrow('The OAuth client of this access token is not active');
  });

  it('refuses the token of an ACTIVE client whose application was deleted behind its back (pairing racing unregistering)', async () => {
    const { application, ...app } = await applicationClient();
    const token = await accessToken(app.clientId, app.clientSecret);
    await bearerAuthentication.authenticate(`Bearer ${token}`, BASE_URL);
    // Only the application items go: the client stays ACTIVE, as when unregistering listed the SystemAuths before pairing wrote it.
    await new ApplicationRepository(aws.dynamo, config().applicationsTable, config).delete(application);
    await pastBearerCache();
    await expect(bearerAuthentication.authenticate(`Bearer ${token}`, BASE_URL)).rejects.toThrow(new UnauthenticatedError('The application of this access token no longer exists'));
  });
});
