// PairingService asks the adapter of a SystemAuth's type for everything about it: a type it has never heard of works
// through its adapter alone (fields, words, audit events, revocation action, capabilities it has or lacks).
import { BadUserInputError, NotFoundError } from '../../../shared/errors';
import type { AppSystemAuthFields, PairingAdapter, PairingApplication, PairingContext, PairingResult, PublicKeyRotation, SecretRotation } from '../../../shared/pairing/adapter';
import { PairingAdapterRegistry } from '../../../shared/pairing/registry';
import { PairingService } from '../../../shared/pairing/service';
import type { SystemAuthRepository } from '../../../shared/system-auths/repository';
import type { SystemAuth, SystemAuthType } from '../../../shared/system-auths/types';
import { rejection } from '../../support/promises';
import { noFollowUps } from '../../support/caller-trail';

const NEW_TYPE = 'SOME_NEW_TYPE' as SystemAuthType;
const ID = '0b6e3c1e-6a0f-4c57-9a43-2a8f9a3b7c11';
const context: PairingContext = { publicBaseUrl: 'https://pairing.example.com' };

/** A pairing type added later: its adapter is all the service gets to know of it. */
class NewTypeAdapter implements PairingAdapter {
  readonly authType = {
    type: NEW_TYPE,
    description: 'a type added later',
    // A schema the generated validators already hold (the client certificate's): this test generates none.
    inputParams: { type: 'object', additionalProperties: false },
    presentation: { label: 'Something new', credentialNoun: 'new credential', revocationEffect: 'new things', pendingHint: null, handoverWarning: null, params: [], inputParams: [] },
  };
  readonly systemAuthType = NEW_TYPE;
  readonly revokedAction = 'SYSTEM_AUTH_REVOKED';
  readonly revoked: SystemAuth[] = [];
  constructor(readonly secrets?: SecretRotation, readonly publicKeys?: PublicKeyRotation) {}
  async generate(application: PairingApplication): Promise<PairingResult> {
    return { type: NEW_TYPE, systemAuthID: ID, params: { for: application.id } };
  }
  pairedEvents() {
    return [{ action: 'CLIENT_CREDENTIALS_ISSUED' as const, details: { kind: 'new' } }];
  }
  publicFields(auth: SystemAuth, _context: PairingContext, clientSecret?: string): AppSystemAuthFields {
    return { clientId: `new-${auth.id}`, ...(clientSecret === undefined ? {} : { clientSecret }) };
  }
  async revoke(auth: SystemAuth): Promise<void> {
    this.revoked.push(auth);
  }
}

const stored: SystemAuth = { id: ID, tenant: 'acme', kind: 'APPLICATION', type: NEW_TYPE, appId: 'app-1', status: 'ACTIVE', scopes: ['application:read'], createdAt: '2026-01-01T00:00:00.000Z' };
const systemAuths = { getOfTenant: async (tenant: string, id: string) => (tenant === stored.tenant && id === stored.id ? stored : undefined) } as unknown as SystemAuthRepository;

function serviceWith(adapter: NewTypeAdapter) {
  return new PairingService(new PairingAdapterRegistry([adapter]), systemAuths);
}

describe('PairingService with a type it was not written for', () => {
  it('answers its AppSystemAuth from the adapter: its fields, its words, null for the fields it has none of, and no certificates', () => {
    const service = serviceWith(new NewTypeAdapter());
    expect(service.toAppSystemAuth(stored, context)).toEqual({
      id: ID, type: NEW_TYPE, status: 'ACTIVE', createdAt: stored.createdAt, lastUsedAt: null, scopes: ['application:read'],
      clientId: `new-${ID}`, clientSecret: null, tokenUrl: null, secrets: null, publicKeys: null, pairingAdapter: null, authType: null, adapterReference: null,
      presentation: expect.objectContaining({ label: 'Something new' }), holdsCertificates: false,
    });
    expect(service.toAppSystemAuth(stored, context, 's3cret').clientSecret).toBe('s3cret');
    expect(service.holdsCertificates(stored)).toBe(false);
  });

  it('takes its audit events and revocation action from the adapter, and revokes through it', async () => {
    const adapter = new NewTypeAdapter();
    const service = serviceWith(adapter);
    expect(service.pairedEvents({ type: NEW_TYPE })).toEqual([{ action: 'CLIENT_CREDENTIALS_ISSUED', details: { kind: 'new' } }]);
    expect(service.revokedActionOf(stored)).toBe('SYSTEM_AUTH_REVOKED');
    await expect(service.revokeSystemAuth('acme', ID, noFollowUps)).resolves.toEqual({ ...stored, status: 'REVOKED' });
    expect(adapter.revoked).toEqual([stored]);
  });

  it('refuses the capabilities the adapter lacks, naming the types that have them, and changes nothing', async () => {
    const service = serviceWith(new NewTypeAdapter());
    const rotation = await rejection(service.rotateClientSecret('acme', ID));
    expect(rotation).toBeInstanceOf(BadUserInputError);
    expect(rotation.message).toBe(`SystemAuth ${ID} is a SOME_NEW_TYPE credential: no pairing type has secrets`);
    const key = await rejection(service.addPublicKey('acme', ID, 'a key'));
    expect(key).toBeInstanceOf(BadUserInputError);
    expect(key.message).toBe(`SystemAuth ${ID} is a SOME_NEW_TYPE credential: no pairing type has public keys`);
    expect(await rejection(service.removePublicKey('acme', ID, 'kid-1'))).toBeInstanceOf(BadUserInputError);
    const certificate = await rejection(service.revokeIssuedCertificate('acme', ID, { serialNumber: '01' }));
    expect(certificate).toBeInstanceOf(NotFoundError);
  });

  it('routes the capabilities the adapter has to it', async () => {
    const rotated = { id: 'second', clientSecret: 'value', createdAt: '2026-01-02T00:00:00.000Z' };
    const calls: string[] = [];
    const secrets: SecretRotation = {
      rotateSecret: async (auth) => (calls.push(`rotate ${auth.id}`), rotated),
      revokeSecret: async (auth, secretId) => (calls.push(`revoke ${auth.id} ${secretId}`), auth),
    };
    const service = serviceWith(new NewTypeAdapter(secrets));
    await expect(service.rotateClientSecret('acme', ID)).resolves.toBe(rotated);
    await expect(service.revokeClientSecret('acme', ID, 'initial')).resolves.toBe(stored);
    expect(calls).toEqual([`rotate ${ID}`, `revoke ${ID} initial`]);
    const keys: PublicKeyRotation = {
      addPublicKey: async (auth, publicKey) => (calls.push(`add ${auth.id} ${String(publicKey)}`), { systemAuth: auth, kid: 'kid-2' }),
      removePublicKey: async (auth, kid) => (calls.push(`remove ${auth.id} ${kid}`), auth),
    };
    const keyed = serviceWith(new NewTypeAdapter(undefined, keys));
    await expect(keyed.addPublicKey('acme', ID, 'a key')).resolves.toEqual({ systemAuth: stored, kid: 'kid-2' });
    await expect(keyed.removePublicKey('acme', ID, 'kid-1')).resolves.toBe(stored);
    expect(calls.slice(2)).toEqual([`add ${ID} a key`, `remove ${ID} kid-1`]);
    expect((await rejection(keyed.rotateClientSecret('acme', ID))).message).toBe(`SystemAuth ${ID} is a SOME_NEW_TYPE credential: no pairing type has secrets`);
    // Another tenant's SystemAuth is NOT_FOUND, whatever its type can do.
    expect(await rejection(service.rotateClientSecret('other', ID))).toBeInstanceOf(NotFoundError);
  });
});
