// End to end over HTTP against `npm start` with EXTERNAL_PAIRING_ADAPTERS set: the Director pairs through an adapter
// running in this process, which verifies the service's JWT against the stack's own JWKS, and is told of the deletion.
import { startTestPairingAdapter, type TestPairingAdapter } from '../support/pairing-adapter';
import { startLocalStack, START_TIMEOUT_MS, tokenGrant, type LocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

describe('a pairing adapter outside the service (npm start)', () => {
  let stack: LocalStack | undefined;
  let adapter: TestPairingAdapter;

  beforeAll(async () => {
    adapter = await startTestPairingAdapter(() => `${stack!.baseUrl}/.well-known/jwks.json`, (body) => ({ params: { token: 'handed-out' }, reference: `lease-${body.application.id}` }));
    const adapters = [{ name: 'vault', url: adapter.url, authTypes: [{ type: 'VAULT_TOKEN', inputParams: { type: 'object', additionalProperties: false, properties: { ttl: { type: 'integer' } } } }] }];
    stack = await startLocalStack({ name: 'external-adapter-e2e', env: { EXTERNAL_PAIRING_ADAPTERS: JSON.stringify(adapters) } });
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await stack?.stop();
    await adapter?.close();
  });

  it('pairs through the adapter and tells it of the deletion, each call with a JWT the adapter verifies against the JWKS', async () => {
    const { admin } = stack!;
    const token = ((await tokenGrant(admin.tokenUrl, admin.clientId, admin.clientSecret)).body as { access_token: string }).access_token;
    const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(admin.directorUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as { data?: any; errors?: unknown[] };
    };
    const registered = await graphql('mutation { registerApplication(in: {name: "vaulted"}) { id } }');
    const appId = registered.data.registerApplication.id as string;
    const types = await graphql('query($id: ID!) { getAuthTypesForApplication(appId: $id) { type } }', { id: appId });
    expect(types.data.getAuthTypesForApplication.map((t: { type: string }) => t.type)).toContain('VAULT_TOKEN');

    const paired = await graphql('mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "VAULT_TOKEN"}, inputParams: {ttl: 60}) { type systemAuthID params } }', { id: appId });
    expect(paired.errors).toBeUndefined();
    expect(paired.data.generateAuthForApplication).toEqual({ type: 'VAULT_TOKEN', systemAuthID: expect.any(String), params: { token: 'handed-out' } });
    expect(adapter.calls).toEqual([{ method: 'POST', verified: true, body: expect.objectContaining({ tenant: admin.tenant, type: 'VAULT_TOKEN', inputParams: { ttl: 60 } }) }]);

    const id = paired.data.generateAuthForApplication.systemAuthID as string;
    const deleted = await graphql('mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id type pairingAdapter adapterReference } }', { id });
    expect(deleted.data.deleteSystemAuthForApplication).toEqual({ id, type: 'EXTERNAL', pairingAdapter: 'vault', adapterReference: `lease-${appId}` });
    expect(adapter.calls[1]).toEqual({ method: 'DELETE', verified: true, body: expect.objectContaining({ systemAuthId: id, reference: `lease-${appId}` }) });
  });
});
