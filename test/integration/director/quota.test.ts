// What a Director client sees when a tenant quota is reached (the handler in-process with API Gateway events): CONFLICT with a message naming the limit and its setting, and nothing created.
import { randomUUID } from 'node:crypto';
import { freshTenant } from '../../support/local-aws';
import { withSettings } from '../../support/settings';
import { systemAuths } from '../../support/stores';
import { administrator, director } from '../pairing/director-calls';

withSettings({ MAX_APPLICATIONS_PER_TENANT: '2', MAX_OAUTH_CLIENTS_PER_TENANT: '2' });

const REGISTER = `mutation($name: String!) { registerApplication(in: {name: $name}) { id } }`;
const UNREGISTER = `mutation($id: ID!) { unregisterApplication(id: $id) { id } }`;
const LIST = `{ applications { totalCount data { id } } }`;
const REQUEST_CREDENTIALS = `mutation($id: ID!) { requestClientCredentialsForApplication(id: $id) { id clientId clientSecret } }`;
const GENERATE = `mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }`;
const DELETE_AUTH = `mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id status } }`;

const newName = () => `app-${randomUUID().slice(0, 8)}`;

describe('Director answers when a tenant quota is reached', () => {
  it('registerApplication past MAX_APPLICATIONS_PER_TENANT: HTTP 200, CONFLICT, the limit and the setting in the message, no violations', async () => {
    const tenant = freshTenant();
    const admin = await administrator(tenant);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await director(admin.accessToken, REGISTER, { name: newName() })).data!.registerApplication.id);

    const refused = await director(admin.accessToken, REGISTER, { name: newName() });
    expect(refused.statusCode).toBe(200);
    expect(refused.data).toBeNull();
    expect(refused.errors).toEqual([{
      message: `tenant ${tenant} has reached its limit of 2 applications (MAX_APPLICATIONS_PER_TENANT); unregister one first`,
      locations: expect.any(Array),
      path: ['registerApplication'],
      extensions: { code: 'CONFLICT' },
    }]);
    expect((await director(admin.accessToken, LIST)).data!.applications.totalCount).toBe(2);

    await director(admin.accessToken, UNREGISTER, { id: ids[0] });
    const again = await director(admin.accessToken, REGISTER, { name: newName() });
    expect(again.errors).toBeUndefined();
  });

  it.each([
    ['requestClientCredentialsForApplication', REQUEST_CREDENTIALS],
    ['generateAuthForApplication', GENERATE],
  ])('%s past MAX_OAUTH_CLIENTS_PER_TENANT (the administrator counts): CONFLICT, and no SystemAuth or secret shown', async (field, mutation) => {
    const tenant = freshTenant();
    const admin = await administrator(tenant);
    const appId = (await director(admin.accessToken, REGISTER, { name: newName() })).data!.registerApplication.id as string;
    const first = await director(admin.accessToken, mutation, { id: appId });
    expect(first.errors).toBeUndefined();

    const refused = await director(admin.accessToken, mutation, { id: appId });
    expect(refused.statusCode).toBe(200);
    expect(refused.data).toBeNull();
    expect(refused.errors).toEqual([{
      message: `tenant ${tenant} has reached its limit of 2 live OAuth clients (MAX_OAUTH_CLIENTS_PER_TENANT); revoke one (an application's client credentials or an administrator) first`,
      locations: expect.any(Array),
      path: [field],
      extensions: { code: 'CONFLICT' },
    }]);
    const auths = await systemAuths.listOfApplication(tenant, appId);
    expect(auths).toHaveLength(1);

    // Revoking the application's client frees the slot.
    expect((await director(admin.accessToken, DELETE_AUTH, { id: auths[0].id })).errors).toBeUndefined();
    expect((await director(admin.accessToken, mutation, { id: appId })).errors).toBeUndefined();
  });
});
