// A client revoked after its credentials were checked but before its grant is recorded gets no token (markSystemAuthUsed is conditional on ACTIVE).
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../functions/oauth/handler';
import { config } from '../../../shared/config';
import { freshTenant } from '../../support/local-aws';
import { basicAuthorization, tokenRequest } from './token-requests';
import { oauthClients, systemAuths } from '../../support/stores';
import { aws } from '../../../functions/container';

afterEach(() => jest.restoreAllMocks());

describe('revocation racing a grant', () => {
  it('markSystemAuthUsed refuses a SystemAuth that is no longer ACTIVE and leaves lastUsedAt unset', async () => {
    const tenant = freshTenant();
    const admin = await oauthClients.createAdmin(tenant);
    await systemAuths.updateStatus(tenant, admin.clientId, 'REVOKED');

    await expect(systemAuths.markUsed(admin.clientId)).resolves.toBe(false);
    expect(await systemAuths.get(admin.clientId)).toMatchObject({ status: 'REVOKED' });
    expect((await systemAuths.get(admin.clientId))?.lastUsedAt).toBeUndefined();
  });

  it('the token endpoint answers invalid_client when the client is revoked between authentication and recording the grant', async () => {
    const tenant = freshTenant();
    const admin = await oauthClients.createAdmin(tenant);
    // Revokes the client just before the lastUsedAt write goes out, i.e. after authenticateClient read it as ACTIVE.
    const client = aws.dynamo;
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    let revoked = false;
    jest.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      const isGrantRecord = command instanceof UpdateCommand && command.input.TableName === config().systemAuthsTable
        && command.input.UpdateExpression === 'SET lastUsedAt = :at';
      if (isGrantRecord && !revoked) {
        revoked = true;
        await systemAuths.updateStatus(tenant, admin.clientId, 'REVOKED');
      }
      return send(command);
    }) as typeof client.send);

    const response = await handler(tokenRequest('grant_type=client_credentials', { Authorization: basicAuthorization(admin.clientId, admin.clientSecret) }));

    expect(revoked).toBe(true);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect((await systemAuths.get(admin.clientId))?.lastUsedAt).toBeUndefined();
  });
});
