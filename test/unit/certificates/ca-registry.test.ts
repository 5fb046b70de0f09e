// The CA registry's rules: one current CA with a KMS key, rotation, retirement, the truststore's set, parsing.
import {
  CaRegistryError,
  currentCa,
  initialRegistry,
  nextCaId,
  parseRegistry,
  pendingCa,
  recordBelongsTo,
  serializeRegistry,
  trustedCas,
  withActivated,
  withRetired,
  withRotation,
  type CaRegistry,
} from '../../../shared/certificates/ca-registry';
import { CA_KEY_ADMINISTRATION_ACTIONS, truststorePem, withExplicitKeyAdministration, withRotationSigner, ROTATION_SIGNER_SID } from '../../../shared/certificates/ca-lifecycle';
import { testCertificateAuthority } from './key-object-signer';

const NOW = new Date('2026-11-29T07:00:00.000Z');
const LATER = new Date('2026-12-01T00:00:00.000Z');
const ARN = (n: number) => `arn:aws:kms:eu-central-1:123456789012:key/0000000${n}-0000-4000-8000-000000000000`;
let pems: string[];

beforeAll(async () => {
  pems = await Promise.all([1, 2, 3].map(async (n) => (await testCertificateAuthority({ commonName: `CA ${n}` })).certificatePem));
});

const fresh = (): CaRegistry => initialRegistry({ keyArn: ARN(1), certificatePem: pems[0]! }, NOW);

describe('initialRegistry', () => {
  test('a new stage: ca-1, current, in KMS', () => {
    expect(fresh().cas).toEqual([{ id: 'ca-1', keyArn: ARN(1), certificatePem: pems[0], createdAt: NOW.toISOString(), status: 'current' }]);
  });

  test('a migrated stage: the old CA is ca-1 (previous, no key), the KMS CA ca-2 is current', () => {
    const registry = initialRegistry({ keyArn: ARN(2), certificatePem: pems[1]! }, NOW, { certificatePem: pems[0]! });
    expect(registry.cas.map(({ id, status, keyArn }) => ({ id, status, keyArn }))).toEqual([
      { id: 'ca-1', status: 'previous', keyArn: null },
      { id: 'ca-2', status: 'current', keyArn: ARN(2) },
    ]);
    expect(trustedCas(registry).map((ca) => ca.id)).toEqual(['ca-2', 'ca-1']);
  });
});

describe('rotation and retirement', () => {
  test('rotation makes the new CA current and keeps the old one trusted as previous', () => {
    const registry = withRotation(fresh(), { id: nextCaId(fresh()), keyArn: ARN(2), certificatePem: pems[1]! }, LATER);
    expect(currentCa(registry)).toMatchObject({ id: 'ca-2', keyArn: ARN(2), status: 'current', createdAt: LATER.toISOString() });
    expect(registry.cas[0]).toMatchObject({ id: 'ca-1', status: 'previous' });
    expect(trustedCas(registry).map((ca) => ca.id)).toEqual(['ca-2', 'ca-1']);
    expect(truststorePem(registry)).toBe(`${pems[1]}${pems[0]}`.replace(/-----END CERTIFICATE-----(?!\n)/g, '-----END CERTIFICATE-----\n'));
  });

  test('retiring takes a previous CA out of the truststore and keeps it in the registry; ids are never reused', () => {
    const rotated = withRotation(fresh(), { id: 'ca-2', keyArn: ARN(2), certificatePem: pems[1]! }, NOW);
    const retired = withRetired(rotated, 'ca-1', LATER);
    expect(retired.cas[0]).toMatchObject({ id: 'ca-1', status: 'retired', retiredAt: LATER.toISOString() });
    expect(trustedCas(retired).map((ca) => ca.id)).toEqual(['ca-2']);
    expect(nextCaId(retired)).toBe('ca-3');
  });

  test('the current CA is never retired; unknown and already retired ids are refused by name', () => {
    const rotated = withRotation(fresh(), { id: 'ca-2', keyArn: ARN(2), certificatePem: pems[1]! }, NOW);
    expect(() => withRetired(rotated, 'ca-2', LATER)).toThrow(/ca-2 is the current CA: rotate first/);
    expect(() => withRetired(rotated, 'ca-9', LATER)).toThrow(/there is no CA "ca-9" \(known: ca-1, ca-2\)/);
    expect(() => withRetired(withRetired(rotated, 'ca-1', LATER), 'ca-1', LATER)).toThrow(/already retired/);
  });

  test('a rotation to a taken id is refused', () => {
    expect(() => withRotation(fresh(), { id: 'ca-1', keyArn: ARN(2), certificatePem: pems[1]! }, NOW)).toThrow(/"ca-1" is taken/);
  });

  test('a pending rotation: trusted (truststore) but not issuing until activated; then the old CA is previous', () => {
    const pending = withRotation(fresh(), { id: 'ca-2', keyArn: ARN(2), certificatePem: pems[1]! }, NOW, { pending: true });
    expect(currentCa(pending).id).toBe('ca-1');
    expect(pendingCa(pending)?.id).toBe('ca-2');
    expect(trustedCas(pending).map((ca) => ca.id)).toEqual(['ca-1', 'ca-2']);
    expect(() => withRotation(pending, { id: 'ca-3', keyArn: ARN(3), certificatePem: pems[2]! }, NOW)).toThrow(/CA ca-2 is pending: activate it \(activate-ca --id ca-2\)/);
    expect(() => withRetired(pending, 'ca-2', LATER)).toThrow(/ca-2 is pending/);
    const active = withActivated(pending, 'ca-2');
    expect(active.cas.map(({ id, status }) => `${id}:${status}`)).toEqual(['ca-1:previous', 'ca-2:current']);
    expect(pendingCa(active)).toBeUndefined();
    expect(() => withActivated(active, 'ca-2')).toThrow(/CA ca-2 is current, not pending/);
    expect(() => withActivated(active, 'ca-5')).toThrow(/there is no CA "ca-5"/);
  });

  test('at most one pending CA, and it needs a KMS key', () => {
    const pending = withRotation(fresh(), { id: 'ca-2', keyArn: ARN(2), certificatePem: pems[1]! }, NOW, { pending: true });
    const twoPending = { version: 1, cas: [...pending.cas, { ...pending.cas[1]!, id: 'ca-3' }] };
    expect(() => parseRegistry(JSON.stringify(twoPending))).toThrow(/at most one pending CA, it has 2/);
    const keyless = { version: 1, cas: [pending.cas[0], { ...pending.cas[1]!, keyArn: null }] };
    expect(() => parseRegistry(JSON.stringify(keyless))).toThrow(/pending CA ca-2 has no KMS key/);
  });

  test('records without a caId belong to ca-1 only', () => {
    expect(recordBelongsTo(undefined, 'ca-1')).toBe(true);
    expect(recordBelongsTo(undefined, 'ca-2')).toBe(false);
    expect(recordBelongsTo('ca-2', 'ca-2')).toBe(true);
  });
});

describe('parseRegistry', () => {
  test('round trip', () => {
    const registry = withRotation(fresh(), { id: 'ca-2', keyArn: ARN(2), certificatePem: pems[1]! }, NOW);
    expect(parseRegistry(serializeRegistry(registry))).toEqual(registry);
  });

  test.each([
    ['not JSON', 'nope', /not JSON/],
    ['wrong shape', '{"cas": []}', /not \{version: 1, cas/],
    ['no current CA', () => JSON.stringify({ version: 1, cas: [{ ...fresh().cas[0], status: 'previous' }] }), /exactly one current CA, it has 0/],
    ['two current CAs', () => JSON.stringify({ version: 1, cas: [fresh().cas[0], { ...fresh().cas[0], id: 'ca-2' }] }), /exactly one current CA, it has 2/],
    ['a current CA without a KMS key', () => JSON.stringify({ version: 1, cas: [{ ...fresh().cas[0], keyArn: null }] }), /current CA ca-1 has no KMS key/],
    ['a bad id', () => JSON.stringify({ version: 1, cas: [{ ...fresh().cas[0], id: 'root' }] }), /CA id "root" is not of the form ca-<number>/],
    ['a duplicate id', () => JSON.stringify({ version: 1, cas: [fresh().cas[0], { ...fresh().cas[0], status: 'previous' }] }), /"ca-1" appears twice/],
    ['an unknown status', () => JSON.stringify({ version: 1, cas: [fresh().cas[0], { ...fresh().cas[0], id: 'ca-2', status: 'next' }] }), /unknown status "next"/],
    ['a certificate that is not PEM', () => JSON.stringify({ version: 1, cas: [{ ...fresh().cas[0], certificatePem: 'x' }] }), /certificatePem is not a PEM certificate/],
  ])('refuses %s, naming what is wrong', (_, json, message) => {
    const text = typeof json === 'function' ? json() : json;
    expect(() => parseRegistry(text)).toThrow(CaRegistryError);
    expect(() => parseRegistry(text)).toThrow(message);
  });

  test('a private key never fits: an entry has no field for one and unknown fields are dropped', () => {
    const withKey = JSON.stringify({ version: 1, cas: [{ ...fresh().cas[0], privateKeyPem: '-----BEGIN PRIVATE KEY-----' }] });
    expect(serializeRegistry(parseRegistry(withKey))).not.toContain('PRIVATE KEY');
  });
});

describe('withExplicitKeyAdministration', () => {
  const connector = { Sid: 'ConnectorSignsClientCertificates', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/c' }, Action: 'kms:Sign', Resource: '*' };
  const administration = { Sid: 'KeyAdministration', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: ['kms:Create*', 'kms:Get*', 'kms:Describe*'], Resource: '*' };

  test('a copied policy with wildcards (kms:Create* includes kms:CreateGrant) gets the named actions; the signers stay as they are', () => {
    const document = JSON.parse(withExplicitKeyAdministration(JSON.stringify({ Version: '2012-10-17', Statement: [administration, connector] })));
    expect(document.Statement).toEqual([{ ...administration, Action: [...CA_KEY_ADMINISTRATION_ACTIONS] }, connector]);
    expect(document.Statement[0].Action).not.toContain('kms:CreateGrant');
    expect(document.Statement[0].Action.filter((action: string) => action.includes('*'))).toEqual([]);
  });

  test('a policy without an administration statement (moto\'s default) is left as it is', () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [connector] });
    expect(withExplicitKeyAdministration(policy)).toBe(policy);
  });
});

describe('withRotationSigner', () => {
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Connector', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/c' }, Action: 'kms:Sign', Resource: '*' }] });

  test('adds one kms:Sign statement for the key\'s account and keeps the rest', () => {
    const document = JSON.parse(withRotationSigner(policy, ARN(1)));
    expect(document.Statement).toHaveLength(2);
    expect(document.Statement[0]).toEqual(JSON.parse(policy).Statement[0]);
    expect(document.Statement[1]).toEqual({ Sid: ROTATION_SIGNER_SID, Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:Sign', Resource: '*' });
  });

  test('a key ARN without an account (not AWS) leaves the policy as it is', () => {
    expect(withRotationSigner(policy, 'local-key')).toBe(policy);
  });
});
