// CRL builds against DynamoDB Local and moto (KMS, S3): revocations become entries through the byCrl index, a build with
// KMS refusing leaves the published CRL in place, the lease makes concurrent triggers one build, numbers only grow.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { aws, kms, kmsAdmin } from '../../../functions/container';
import { transactWrite } from '../../../shared/aws/transactions';
import { createCaCertificate, kmsCaSigner } from '../../../shared/certificates/ca';
import type { CaEntry } from '../../../shared/certificates/ca-registry';
import { config } from '../../../shared/config';
import { CrlBuildError, CrlBuilder } from '../../../shared/crl/builder';
import { CrlEntryRepository } from '../../../shared/system-auths/crl-entries';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { certificateSortKey, type CertificateRecord } from '../../../shared/system-auths/certificate-items';
import { kmsCrlSigner } from '../../../shared/crl/signer';
import { CrlState } from '../../../shared/system-auths/crl-state';
import { CrlStore } from '../../../shared/crl/store';
import { CertificateRepository } from '../../../shared/system-auths/certificate-records';

const DAY_MS = 86_400_000;
const BUCKET = `crl-test-${randomBytes(4).toString('hex')}`;
let s3: S3Client;
let workDir: string;

const table = () => config().systemAuthsTable;
const entries = () => new CrlEntryRepository(aws.dynamo, table());
const state = () => new CrlState(aws.dynamo, table());
const store = () => new CrlStore(s3, BUCKET);

/** A CA of its own per test (tests share one table): a fresh id, a moto KMS key and its self-signed certificate. */
async function newCa(): Promise<CaEntry> {
  const key = await kmsAdmin.createSigningKey({ keySpec: 'RSA_2048', description: 'CRL test CA' });
  const certificatePem = await createCaCertificate(key.publicKey, kmsCaSigner(kms, key.keyArn), { commonName: 'CRL Test CA' });
  return { id: `ca-${randomInt(100_000, 999_999)}`, keyArn: key.keyArn, certificatePem, createdAt: new Date().toISOString(), status: 'current' };
}

function builderFor(ca: CaEntry, now?: () => Date): CrlBuilder {
  return new CrlBuilder({ entries: entries(), state: state(), store: store(), cas: async () => [ca], signerOf: (keyArn) => kmsCrlSigner(kms, keyArn), settings: { nextUpdateMs: DAY_MS, leaseMs: 20_000 }, now });
}

const heard: string[] = [];
const certificates = new CertificateRepository(aws.dynamo, table(), config, { revoked: async (caId: string) => void heard.push(caId) });

/** A certificate record of CA `caId` (as issuance writes it), expiring `days` from now. */
async function recorded(caId: string, days = 30): Promise<CertificateRecord> {
  const record: CertificateRecord = {
    systemAuthId: `sa-${randomBytes(8).toString('hex')}`,
    tenant: 't-crl',
    appId: 'app-crl',
    serialNumber: randomBytes(16).toString('hex').replace(/^./, '1'),
    sha256Fingerprint: randomBytes(32).toString('hex'),
    subject: 'CN=test',
    notBefore: new Date(Date.now() - DAY_MS).toISOString(),
    notAfter: new Date(Date.now() + days * DAY_MS).toISOString(),
    revoked: false,
    caId,
  };
  await transactWrite(aws.dynamo, { record: certificates.newRecord(record) });
  return record;
}

const revoke = (record: CertificateRecord, reason: 'superseded' | 'cessationOfOperation' | 'unspecified' = 'unspecified') =>
  certificates.revoke(record.systemAuthId, record.sha256Fingerprint, new Date(), { caId: record.caId, reason });

function crlText(der: Buffer): string {
  const file = join(workDir, `${randomBytes(4).toString('hex')}.crl`);
  writeFileSync(file, der);
  return execFileSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text', '-in', file], { encoding: 'utf8' });
}

const serialText = (record: CertificateRecord) => `Serial Number: ${record.serialNumber.toUpperCase()}`;

beforeAll(async () => {
  s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_KMS, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  workDir = mkdtempSync(join(tmpdir(), 'crl-builder-'));
});
afterAll(() => {
  s3.destroy();
  rmSync(workDir, { recursive: true, force: true });
});

test('a revocation is pending until a build lists it: revoked, unexpired certificates only, each with its reason', async () => {
  const ca = await newCa();
  const [superseded, ended, expired, live] = [await recorded(ca.id), await recorded(ca.id), await recorded(ca.id, -1), await recorded(ca.id)];
  heard.length = 0;
  expect(await revoke(superseded, 'superseded')).toBe(true);
  expect(await revoke(ended, 'cessationOfOperation')).toBe(true);
  expect(await revoke(expired)).toBe(true);
  // The listener (the rebuild trigger) heard of each revocation's CA.
  expect(heard).toEqual([ca.id, ca.id, ca.id]);
  expect(await entries().hasPending(ca.id, new Date())).toBe(true);

  const outcome = await builderFor(ca).rebuild(ca.id);
  expect(outcome).toMatchObject({ caId: ca.id, outcome: 'built', entries: 2 });
  const text = crlText((await store().get(ca.id))!);
  expect(text).toMatch(new RegExp(`${serialText(superseded)}[\\s\\S]*?Superseded`));
  expect(text).toMatch(new RegExp(`${serialText(ended)}[\\s\\S]*?Cessation Of Operation`));
  expect(text).not.toContain(serialText(expired));
  expect(text).not.toContain(serialText(live));
  // Listed, so no longer pending: the next trigger finds nothing to do.
  expect(await entries().hasPending(ca.id, new Date())).toBe(false);
  expect(await builderFor(ca).rebuild(ca.id)).toEqual({ caId: ca.id, outcome: 'fresh' });
});

test('KMS refusing to sign: the build fails, the published CRL stays as it was and the revocation stays pending', async () => {
  const ca = await newCa();
  const first = await recorded(ca.id);
  await revoke(first);
  await builderFor(ca).rebuild(ca.id);
  const published = (await store().get(ca.id))!;

  const second = await recorded(ca.id);
  await revoke(second);
  // KMS refuses: the registry names a key KMS does not have (moto enforces no key state, so a disabled key would still sign).
  const unknownKey = { ...ca, keyArn: ca.keyArn!.replace(/key\/.*$/, 'key/00000000-0000-4000-8000-000000000000') };
  await expect(builderFor(unknownKey).rebuild(ca.id)).rejects.toThrow(CrlBuildError);
  expect((await store().get(ca.id))!.equals(published)).toBe(true);
  expect(await entries().hasPending(ca.id, new Date())).toBe(true);
  // The lease was given back: the next trigger (or the schedule) builds it.
  expect(await builderFor(ca).rebuild(ca.id)).toMatchObject({ outcome: 'built', entries: 2 });
  expect(crlText((await store().get(ca.id))!)).toContain(serialText(second));
});

test('a CA whose lease another builder holds is left to it; an unknown CA is reported as such', async () => {
  const ca = await newCa();
  await revoke(await recorded(ca.id));
  expect(await state().acquire(ca.id, 'another builder', new Date(), 20_000)).toBe(true);
  expect(await builderFor(ca).rebuild(ca.id)).toEqual({ caId: ca.id, outcome: 'busy' });
  expect(await store().get(ca.id)).toBeUndefined();
  expect(await builderFor(ca).rebuild('ca-999999')).toEqual({ caId: 'ca-999999', outcome: 'unknown-ca' });
});

test('the schedule builds a CA without a CRL and one older than nextUpdate / 2, and leaves a fresh one alone', async () => {
  const ca = await newCa();
  const [built] = await builderFor(ca).rebuildDue();
  expect(built).toMatchObject({ outcome: 'built', entries: 0 });
  expect(await builderFor(ca).rebuildDue()).toEqual([{ caId: ca.id, outcome: 'fresh' }]);
  const later = () => new Date(Date.now() + DAY_MS / 2 + 1000);
  const [rebuilt] = await builderFor(ca, later).rebuildDue();
  expect(rebuilt).toMatchObject({ outcome: 'built' });
  expect(BigInt((rebuilt as { crlNumber: string }).crlNumber)).toBeGreaterThan(BigInt((built as { crlNumber: string }).crlNumber));
});

test('CRL numbers from concurrent builders are distinct and grow', async () => {
  const numbers = await Promise.all(Array.from({ length: 20 }, () => state().nextNumber()));
  expect(new Set(numbers.map(String)).size).toBe(20);
  const next = await state().nextNumber();
  for (const number of numbers) expect(next > number).toBe(true);
});

test('a burst of revocations, each with its own trigger, costs a few builds, and the last CRL lists them all', async () => {
  const ca = await newCa();
  const records = await Promise.all(Array.from({ length: 30 }, () => recorded(ca.id)));
  // Each revocation starts its own builder at once (30 asynchronous invokes landing together).
  const outcomes = (
    await Promise.all(
      records.map(async (record) => {
        await revoke(record, 'cessationOfOperation');
        return builderFor(ca).rebuild(ca.id);
      }),
    )
  ).map((outcome) => outcome.outcome);
  const builds = outcomes.filter((outcome) => outcome === 'built').length;
  expect(builds).toBeGreaterThanOrEqual(1);
  expect(builds).toBeLessThanOrEqual(10);
  expect(outcomes.filter((outcome) => outcome !== 'built').every((outcome) => outcome === 'busy' || outcome === 'fresh')).toBe(true);
  const text = crlText((await store().get(ca.id))!);
  for (const record of records) expect(text).toContain(serialText(record));
  expect(await entries().hasPending(ca.id, new Date())).toBe(false);
});

test('crl-backfill puts certificates revoked before CRLs existed into the index, once; the next build lists them', async () => {
  const ca = await newCa();
  // Revoked as before this version: `revoked` only, no time, reason or CRL key.
  const revokedTheOldWay = async (record: CertificateRecord) =>
    aws.dynamo.send(new UpdateCommand({ TableName: table(), Key: { id: record.systemAuthId, sk: certificateSortKey(record.sha256Fingerprint) }, UpdateExpression: 'SET revoked = :true', ExpressionAttributeValues: { ':true': true } }));
  const [old, expiredOld, live, current] = [await recorded(ca.id), await recorded(ca.id, -1), await recorded(ca.id), await recorded(ca.id)];
  await revokedTheOldWay(old);
  await revokedTheOldWay(expiredOld);
  await revoke(current, 'superseded');
  await builderFor(ca).rebuild(ca.id);
  expect(crlText((await store().get(ca.id))!)).not.toContain(serialText(old));

  const outcome = await entries().backfill();
  // Only this CA's old revocation (other tests' CAs have none revoked the old way; other data of the shared table may).
  expect(outcome.markedByCa[ca.id]).toBe(1);
  expect((await entries().backfill()).markedByCa[ca.id]).toBeUndefined();
  await builderFor(ca).rebuild(ca.id);
  const text = crlText((await store().get(ca.id))!);
  expect(text).toContain(serialText(old));
  expect(text).toContain(serialText(current));
  expect(text).not.toContain(serialText(expiredOld));
  expect(text).not.toContain(serialText(live));
});
