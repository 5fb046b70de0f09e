// The pairing CA with its key in (moto's) KMS: the registry created exactly once even under races, the migration of a
// CA from before KMS, rotation and retirement, and certificates that openssl verifies against the KMS key's certificate.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeKeyCommand, GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { CreateSecretCommand, ListSecretVersionIdsCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { CA_REGISTRY_SECRET } from '../../../shared/certificates/ca';
import { CA_KEY_ADMINISTRATION_ACTIONS, CaInUseError } from '../../../shared/certificates/ca-lifecycle';
import { currentCa, parseRegistry } from '../../../shared/certificates/ca-registry';
import { validateCsr } from '../../../shared/certificates/csr';
import { config, resetConfig } from '../../../shared/config';
import { InternalError } from '../../../shared/errors';
import { captureLogs } from '../../support/captured-logs';
import { freshTenant } from '../../support/local-aws';
import { base64Pem, expectedSubject, goodCsrDer, rsaKeyPair } from '../../unit/certificates/csr-builder';
import { testCertificateAuthority } from '../../unit/certificates/key-object-signer';
import { aws, caRegistry, kms, secrets } from '../../../functions/container';
import { caLifecycle, certificateAuthority } from '../../support/stores';

const originalPrefix = process.env.SECRETS_PREFIX;
let workDir: string;

// Every test gets its own secrets prefix, so it sees no CA that another test (or worker) created.
beforeEach(() => {
  process.env.SECRETS_PREFIX = `pairing-service/test/${freshTenant('ca')}`;
  resetConfig();
});

afterEach(async () => {
  await Promise.all(['pairing-ca', 'pairing-ca-certificate', CA_REGISTRY_SECRET].map((name) => secrets.delete(name)));
});

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'kms-ca-test-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  if (originalPrefix === undefined) delete process.env.SECRETS_PREFIX;
  else process.env.SECRETS_PREFIX = originalPrefix;
  resetConfig();
});

const registryName = () => secrets.fullName(CA_REGISTRY_SECRET);
const storedRegistry = async () => parseRegistry((await secrets.read(CA_REGISTRY_SECRET, 0))!);
const versionCount = async () => (await aws.secretsManager.send(new ListSecretVersionIdsCommand({ SecretId: registryName() }))).Versions?.length ?? 0;
const keyState = async (keyArn: string) => (await aws.kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata?.KeyState;

function csrFor(id = freshTenant('sa')) {
  return validateCsr(base64Pem(goodCsrDer(rsaKeyPair(2048), id)), expectedSubject(id));
}

function opensslVerify(caPem: string, certificatePem: string): string {
  const caFile = join(workDir, `ca-${Math.random()}.pem`);
  const certificateFile = join(workDir, `cert-${Math.random()}.pem`);
  writeFileSync(caFile, caPem);
  writeFileSync(certificateFile, certificatePem);
  return execFileSync('openssl', ['verify', '-CAfile', caFile, certificateFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('CaLifecycle.ensure creates a KMS key and a registry with ca-1 current; a second call keeps it', async () => {
  const registry = await caLifecycle.ensure();
  expect(registry.cas).toHaveLength(1);
  const ca = currentCa(registry);
  expect(ca).toMatchObject({ id: 'ca-1', status: 'current' });
  expect(ca.keyArn).toMatch(/^arn:aws:kms:/);
  const key = await aws.kms.send(new DescribeKeyCommand({ KeyId: ca.keyArn! }));
  expect(key.KeyMetadata).toMatchObject({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'RSA_2048' });
  // The certificate's key is the KMS key's public half, and it is self-signed by it.
  const certificate = new X509Certificate(ca.certificatePem);
  expect(certificate.ca).toBe(true);
  expect(certificate.publicKey.export({ type: 'spki', format: 'der' })).toEqual((await kms.publicKey(ca.keyArn!)).export({ type: 'spki', format: 'der' }));
  expect(certificate.verify(certificate.publicKey)).toBe(true);
  await expect(caLifecycle.checkCurrentKey(registry)).resolves.toBeUndefined();

  expect(await caLifecycle.ensure()).toEqual(registry);
  expect(await versionCount()).toBe(1);
  expect(await secrets.read(CA_REGISTRY_SECRET, 0)).not.toMatch(/PRIVATE KEY|"d":/);
});

test('CaLifecycle.ensure with a declared key (the template\'s PairingCaKey) uses that key', async () => {
  const first = currentCa(await caLifecycle.ensure());
  await secrets.delete(CA_REGISTRY_SECRET);
  const again = currentCa(await caLifecycle.ensure({ keyArn: first.keyArn! }));
  expect(again.keyArn).toBe(first.keyArn);
  expect(again.certificatePem).not.toBe(first.certificatePem);
});

test('concurrent CaLifecycle.ensure calls store exactly one registry and all return it', async () => {
  const results = await Promise.all(Array.from({ length: 4 }, () => caLifecycle.ensure()));
  expect(await versionCount()).toBe(1);
  const stored = await storedRegistry();
  for (const result of results) expect(result).toEqual(stored);
  expect((await certificateAuthority.load()).certificatePem).toBe(new X509Certificate(currentCa(stored).certificatePem).toString());
});

test('issued certificates chain to the CA certificate whose key is in KMS (openssl verify), and name that CA', async () => {
  await caLifecycle.ensure();
  const authority = await certificateAuthority.load();
  const issued = await authority.issue(csrFor());
  expect(issued.caId).toBe('ca-1');
  expect(opensslVerify(authority.certificatePem, issued.certificatePem)).toMatch(/: OK\n$/);
  const registry = await caRegistry.load();
  expect(new X509Certificate(issued.certificatePem).verify(await kms.publicKey(currentCa(registry).keyArn!))).toBe(true);
});

test('migration: a CA from before KMS stays trusted as ca-1, ca-2 in KMS issues, and the private-key secret is deleted', async () => {
  const legacy = await testCertificateAuthority({ commonName: 'Legacy Pairing CA' });
  await aws.secretsManager.send(
    new CreateSecretCommand({ Name: secrets.fullName('pairing-ca'), SecretString: JSON.stringify({ certificatePem: legacy.certificatePem, privateKeyPem: legacy.privateKeyPem }) }),
  );
  await aws.secretsManager.send(new CreateSecretCommand({ Name: secrets.fullName('pairing-ca-certificate'), SecretString: legacy.certificatePem }));
  const legacyIssued = await legacy.authority.issue(csrFor());

  const registry = await caLifecycle.ensure();
  expect(registry.cas.map(({ id, status, keyArn }) => ({ id, status, kms: keyArn !== null }))).toEqual([
    { id: 'ca-1', status: 'previous', kms: false },
    { id: 'ca-2', status: 'current', kms: true },
  ]);
  expect(await secrets.read('pairing-ca', 0)).toBeUndefined();
  // The old certificate's issuer is still trusted; new ones come from ca-2.
  const trusted = await caRegistry.trustedCas();
  expect(trusted.map((ca) => ca.id)).toEqual(['ca-2', 'ca-1']);
  expect(trusted.some((ca) => new X509Certificate(legacyIssued.certificatePem).checkIssued(ca.certificate))).toBe(true);
  expect((await (await certificateAuthority.load()).issue(csrFor())).caId).toBe('ca-2');
});

test('migration stopped before deleting the old private key: the next run deletes it; a stage that never had one is not asked', async () => {
  const legacy = await testCertificateAuthority({ commonName: 'Legacy Pairing CA' });
  await aws.secretsManager.send(new CreateSecretCommand({ Name: secrets.fullName('pairing-ca-certificate'), SecretString: legacy.certificatePem }));
  await caLifecycle.ensure();
  // As if the run had stopped between writing the registry and deleting the key.
  const privateMaterial = JSON.stringify({ certificatePem: legacy.certificatePem, privateKeyPem: legacy.privateKeyPem });
  await aws.secretsManager.send(new CreateSecretCommand({ Name: secrets.fullName('pairing-ca'), SecretString: privateMaterial }));
  await caLifecycle.ensure();
  expect(await secrets.read('pairing-ca', 0)).toBeUndefined();

  // A KMS-only stage (no keyless CA) leaves any secret of that name alone: it was never its CA.
  process.env.SECRETS_PREFIX = `pairing-service/test/${freshTenant('ca')}`;
  resetConfig();
  await caLifecycle.ensure();
  await aws.secretsManager.send(new CreateSecretCommand({ Name: secrets.fullName('pairing-ca'), SecretString: '{}' }));
  await caLifecycle.ensure();
  expect(await secrets.read('pairing-ca', 0)).toBe('{}');
});

test('rotate-ca: a new KMS key becomes current, the previous CA stays trusted, the Connector signs with the new one', async () => {
  const before = currentCa(await caLifecycle.ensure());
  const oldIssued = await (await certificateAuthority.load()).issue(csrFor());
  const rotation = await caLifecycle.rotate();
  expect(rotation).toMatchObject({ previousCaId: 'ca-1', currentCaId: 'ca-2', trustedCaIds: ['ca-2', 'ca-1'] });
  expect(rotation.keyArn).not.toBe(before.keyArn);
  expect((await aws.kms.send(new DescribeKeyCommand({ KeyId: rotation.keyArn }))).KeyMetadata).toMatchObject({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'RSA_2048' });

  secrets.clearCache();
  const authority = await certificateAuthority.load();
  expect(authority.id).toBe('ca-2');
  const newIssued = await authority.issue(csrFor());
  expect(opensslVerify(rotation.certificatePem, newIssued.certificatePem)).toMatch(/: OK\n$/);
  expect(() => opensslVerify(rotation.certificatePem, oldIssued.certificatePem)).toThrow();
  expect(opensslVerify(before.certificatePem, oldIssued.certificatePem)).toMatch(/: OK\n$/);
  expect((await caRegistry.trustedCas()).map((ca) => ca.id)).toEqual(['ca-2', 'ca-1']);
});

test('rotate-ca gives the new key the current key\'s policy with the administrators\' actions named, never kms:Create* (which includes CreateGrant)', async () => {
  const before = currentCa(await caLifecycle.ensure());
  const connector = { Sid: 'ConnectorSignsClientCertificates', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Sign', Resource: '*' };
  const wildcards = { Sid: 'KeyAdministration', Effect: 'Allow', Principal: { AWS: '*' }, Action: ['kms:Create*', 'kms:Get*', 'kms:Put*'], Resource: '*' };
  // The policy a CA key had when its administrators were given wildcards.
  await aws.kms.send(new PutKeyPolicyCommand({ KeyId: before.keyArn!, PolicyName: 'default', Policy: JSON.stringify({ Version: '2012-10-17', Statement: [wildcards, connector] }) }));
  const rotation = await caLifecycle.rotate();
  const policy = JSON.parse((await aws.kms.send(new GetKeyPolicyCommand({ KeyId: rotation.keyArn, PolicyName: 'default' }))).Policy!);
  expect(policy.Statement).toEqual([{ ...wildcards, Action: [...CA_KEY_ADMINISTRATION_ACTIONS] }, connector]);
});

test('rotate-ca --pending: the new CA is trusted but the old one keeps issuing until activate-ca', async () => {
  await caLifecycle.ensure();
  const rotation = await caLifecycle.rotate(new Date(), { pending: true });
  expect(rotation).toMatchObject({ previousCaId: 'ca-1', currentCaId: 'ca-1', pendingCaId: 'ca-2', trustedCaIds: ['ca-1', 'ca-2'] });
  secrets.clearCache();
  expect((await caRegistry.trustedCas()).map((ca) => ca.id)).toEqual(['ca-1', 'ca-2']);
  expect((await (await certificateAuthority.load()).issue(csrFor())).caId).toBe('ca-1');
  await expect(caLifecycle.rotate()).rejects.toThrow(/CA ca-2 is pending: activate it/);

  expect(await caLifecycle.activate('ca-2')).toEqual({ previousCaId: 'ca-1', currentCaId: 'ca-2', trustedCaIds: ['ca-2', 'ca-1'] });
  secrets.clearCache();
  const issued = await (await certificateAuthority.load()).issue(csrFor());
  expect(issued.caId).toBe('ca-2');
  expect(opensslVerify(rotation.certificatePem, issued.certificatePem)).toMatch(/: OK\n$/);
  await expect(caLifecycle.activate('ca-2')).rejects.toThrow(/not pending/);
});

test('retire-ca refuses while a certificate is live, retires when none is, and schedules the old key for deletion', async () => {
  const first = currentCa(await caLifecycle.ensure());
  await caLifecycle.rotate();
  let live = 1;
  const asked: string[] = [];
  const countLive = async (caId: string) => {
    asked.push(caId);
    return live;
  };
  await expect(caLifecycle.retire('ca-1', countLive)).rejects.toThrow(CaInUseError);
  await expect(caLifecycle.retire('ca-1', countLive)).rejects.toThrow(/ca-1 still has 1 unexpired, unrevoked certificate/);
  await expect(caLifecycle.retire('ca-2', countLive)).rejects.toThrow(/current CA/);
  expect((await storedRegistry()).cas.find((ca) => ca.id === 'ca-1')!.status).toBe('previous');

  live = 0;
  const retirement = await caLifecycle.retire('ca-1', countLive);
  expect(retirement).toMatchObject({ caId: 'ca-1', forced: false, liveCertificates: 0, trustedCaIds: ['ca-2'] });
  expect(asked.every((id) => id === 'ca-1')).toBe(true);
  expect(await keyState(first.keyArn!)).toBe('PendingDeletion');
  secrets.clearCache();
  expect((await caRegistry.trustedCas()).map((ca) => ca.id)).toEqual(['ca-2']);
});

test('retire-ca --force retires a CA with live certificates and says so', async () => {
  await caLifecycle.ensure();
  await caLifecycle.rotate();
  const { result: retirement, records } = await captureLogs('WARN', () => caLifecycle.retire('ca-1', async () => 3, { force: true }));
  expect(retirement).toMatchObject({ caId: 'ca-1', forced: true, liveCertificates: 3, trustedCaIds: ['ca-2'] });
  // The audit trail's event, at WARN: forced retirements cut live certificates off.
  expect(records).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'pairing CA retired by force', action: 'CA_RETIRED', caId: 'ca-1', forced: true, liveCertificates: 3 }));
});

test('rotate-ca without a registry says to bootstrap first', async () => {
  await expect(caLifecycle.rotate()).rejects.toThrow(/pairing CA is not set up .*run the bootstrap/);
});

test('CurrentCertificateAuthority.load returns one CA while cached, and the same one after a re-read of an unchanged registry', async () => {
  await caLifecycle.ensure();
  const authority = await certificateAuthority.load();
  expect(await certificateAuthority.load()).toBe(authority);
  // rotate-ca (another process) writes the registry; this process's cached registry holds until secretCacheSeconds.
  await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: registryName(), SecretString: (await secrets.read(CA_REGISTRY_SECRET, 0))! }));
  expect(await certificateAuthority.load()).toBe(authority);
  secrets.clearCache();
  expect(await certificateAuthority.load()).toBe(authority);
});

test('CurrentCertificateAuthority.load without a registry fails with a clear internal error, and finds one created later', async () => {
  const failure = certificateAuthority.load();
  await expect(failure).rejects.toBeInstanceOf(InternalError);
  await expect(failure).rejects.toThrow(`The pairing certificate authority is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
  await caLifecycle.ensure();
  await expect(certificateAuthority.load()).resolves.toBeDefined();
  expect(config().secretsPrefix).toContain('pairing-service/test/');
});
