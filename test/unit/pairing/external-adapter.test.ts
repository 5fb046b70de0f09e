// ExternalPairingAdapter.revoke when the adapter that made a credential is no longer configured: the deletion stands,
// and the trail says the adapter was not told. (The adapter's answers over HTTP: test/integration/pairing/external-adapter.test.ts.)
import { externalPairingAdapters } from '../../../shared/pairing/external-adapter';
import type { SystemAuthRepository } from '../../../shared/system-auths/repository';
import type { SystemAuth } from '../../../shared/system-auths/types';
import { keptTrail } from '../../support/caller-trail';

const configured = {
  name: 'vault',
  url: 'http://127.0.0.1:1/pairing',
  timeoutMs: 1000,
  authTypes: [{ type: 'VAULT_TOKEN', description: 'A Vault token', label: 'Vault token', params: [], inputParams: { type: 'object', additionalProperties: false } }],
};

test('a credential of an adapter no longer configured is deleted, and the trail records that the adapter was not told', async () => {
  const deleted: string[] = [];
  const systemAuths = { delete: async (id: string) => void deleted.push(id) } as unknown as SystemAuthRepository;
  const sign = jest.fn(async () => 'never used');
  const [adapter] = externalPairingAdapters([configured], { systemAuths, stage: 'test', sign });
  const auth: SystemAuth = {
    id: '7a0f599c-0000-4000-8000-000000000001', tenant: 'acme', kind: 'APPLICATION', type: 'EXTERNAL', appId: '47c1c554-0000-4000-8000-000000000002',
    status: 'ACTIVE', scopes: [], createdAt: '2026-12-06T00:00:00.000Z', external: { adapter: 'retired-vault', authType: 'OLD_TOKEN', reference: 'lease-9' },
  };
  const trail = keptTrail();

  await adapter!.revoke(auth, trail);

  expect(deleted).toEqual([auth.id]);
  expect(sign).not.toHaveBeenCalled();
  expect(trail.events).toEqual([{
    action: 'PAIRING_ADAPTER_NOTIFIED', outcome: 'FAILED', reason: 'the pairing adapter is no longer configured',
    target: { applicationId: auth.appId, systemAuthId: auth.id },
    details: { adapter: 'retired-vault', authType: 'OLD_TOKEN', reference: 'lease-9', attempts: 0 },
  }]);
});
